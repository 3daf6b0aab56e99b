// Starts the real servers as child processes on 127.0.0.1 for integration and browser tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './ports.ts';

export interface RunningProcess {
	child: ChildProcess;
	port: number;
	url: string;
	/** Everything the process printed so far (stdout + stderr), for assertions and debugging. */
	output(): string;
	/** SIGTERM and wait for exit (SIGKILL after `graceMs`). */
	stop(graceMs?: number): Promise<number | null>;
	/** SIGKILL, no chance to flush. */
	kill(): Promise<void>;
}

async function waitForHttp(
	url: string,
	child: ChildProcess,
	output: () => string,
	timeoutMs: number
) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null)
			throw new Error(`process exited (${child.exitCode}):\n${output()}`);
		try {
			const res = await fetch(url);
			if (res.status < 500) return;
		} catch {
			/* not listening yet */
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`timed out waiting for ${url}:\n${output()}`);
}

export async function startProcess(options: {
	command: string;
	args: string[];
	env: Record<string, string>;
	port: number;
	readyPath: string;
	timeoutMs?: number;
}): Promise<RunningProcess> {
	let log = '';
	const child = spawn(options.command, options.args, {
		env: { ...process.env, LOG_LEVEL: 'warn', ...options.env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	child.stdout?.on('data', (d) => (log += d));
	child.stderr?.on('data', (d) => (log += d));
	const url = `http://127.0.0.1:${options.port}`;
	const exited = new Promise<number | null>((resolve) =>
		child.once('exit', (code) => resolve(code))
	);
	try {
		await waitForHttp(url + options.readyPath, child, () => log, options.timeoutMs ?? 30_000);
		// whoever answered, it must be this process that is still running (not one that lost the
		// port to another server)
		if (child.exitCode !== null || child.signalCode !== null) {
			throw new Error(`process exited (${child.exitCode ?? child.signalCode}):\n${log}`);
		}
	} catch (error) {
		// a process that did not come up is not left behind
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGKILL');
			await exited;
		}
		throw error;
	}
	return {
		child,
		port: options.port,
		url,
		output: () => log,
		async stop(graceMs = 10_000) {
			if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
			const code = await exited;
			clearTimeout(timer);
			return code;
		},
		async kill() {
			if (child.exitCode !== null || child.signalCode !== null) return;
			child.kill('SIGKILL');
			await exited;
		}
	};
}

/** How a server is started: the sync-server's bundle (build-sync/, with these Node flags). */
interface StartOptions {
	bundle?: { nodeFlags: string[] };
	timeoutMs?: number;
}

/**
 * The sync-server: from source (tsx), so integration tests need no build, or as built with
 * `bundle` (`npm run build` must have run).
 */
export async function startSyncServer(
	env: Record<string, string> & { MONGODB_URI: string },
	options: StartOptions = {}
) {
	if (options.bundle && !existsSync('build-sync/main.js'))
		throw new Error('build-sync/main.js is missing: run `npm run build` first');
	const port = env.SYNC_PORT ? Number(env.SYNC_PORT) : await freePort();
	return startProcess({
		command: process.execPath,
		args: options.bundle
			? [...options.bundle.nodeFlags, 'build-sync/main.js']
			: ['--import', 'tsx', 'sync-server/main.ts'],
		env: { SYNC_HOST: '127.0.0.1', ...env, SYNC_PORT: String(port) },
		port,
		readyPath: '/healthz',
		timeoutMs: options.timeoutMs
	});
}

/** The built web app (adapter-node output in build/); `npm run build` must have run. */
export async function startWebApp(
	env: Record<string, string> & { MONGODB_URI: string },
	options: Pick<StartOptions, 'timeoutMs'> = {}
) {
	if (!existsSync('build/index.js'))
		throw new Error('build/index.js is missing: run `npm run build` first');
	const port = env.PORT ? Number(env.PORT) : await freePort();
	return startProcess({
		command: process.execPath,
		args: ['build/index.js'],
		env: { HOST: '127.0.0.1', ORIGIN: `http://127.0.0.1:${port}`, ...env, PORT: String(port) },
		port,
		readyPath: '/api/health',
		timeoutMs: options.timeoutMs
	});
}

export interface Stack {
	web: RunningProcess;
	sync: RunningProcess;
	/** The sync-server's WebSocket base URL. */
	wsUrl: string;
}

/**
 * The sync-server and the built web app on one database, wired to each other: the web app
 * reaches the sync-server's WebSocket and service channel, the sync-server takes the web app's
 * Origin, and they share `secret`. `syncEnv` adds to the sync-server's environment;
 * `browserSyncUrl` is where browsers reach the sync-server when that is not its own port (a proxy
 * in between, on `syncPort`). When the web app does not start, the sync-server is stopped.
 */
export async function startStack(
	options: {
		uri: string;
		secret: string;
		syncEnv?: Record<string, string>;
		syncPort?: number;
		browserSyncUrl?: string;
	} & StartOptions
): Promise<Stack> {
	const webPort = await freePort();
	const syncPort = options.syncPort ?? (await freePort());
	const webUrl = `http://127.0.0.1:${webPort}`;
	const sync = await startSyncServer(
		{
			MONGODB_URI: options.uri,
			SYNC_PORT: String(syncPort),
			SYNC_SECRET: options.secret,
			ALLOWED_ORIGINS: webUrl,
			...options.syncEnv
		},
		options
	);
	try {
		const web = await startWebApp(
			{
				MONGODB_URI: options.uri,
				PORT: String(webPort),
				SYNC_SECRET: options.secret,
				SYNC_URL: options.browserSyncUrl ?? `ws://127.0.0.1:${syncPort}`,
				SYNC_INTERNAL_URL: `http://127.0.0.1:${syncPort}`
			},
			options
		);
		return { web, sync, wsUrl: `ws://127.0.0.1:${syncPort}` };
	} catch (error) {
		await sync.stop();
		throw error;
	}
}
