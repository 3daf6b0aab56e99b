// A real redis-server for tests (Debian's), on 127.0.0.1, with its files in a temporary folder.
// It can be stopped and started again on the same port and folder (append-only file on, so what
// it held survives a restart), or killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

export interface TestRedis {
	url: string;
	port: number;
	/** Graceful stop (SHUTDOWN: the append-only file is complete). */
	stop(): Promise<void>;
	/** Starts it again on the same port and folder. */
	start(): Promise<void>;
	/** Stops it for good and removes its files. */
	destroy(): Promise<void>;
}

/** Answers whether a redis-server on 127.0.0.1:`port` says PONG. */
export function pingRedis(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = createConnection({ host: '127.0.0.1', port });
		let answer = '';
		socket.setTimeout(500, () => socket.destroy());
		socket.on('connect', () => socket.write('PING\r\n'));
		socket.on('data', (data) => {
			answer += data.toString();
			if (answer.includes('\r\n')) socket.end();
		});
		socket.on('close', () => resolve(answer.startsWith('+PONG')));
		socket.on('error', () => resolve(false));
	});
}

/**
 * How a redis-server for Dispatch runs here (tests and the bench's shared topology): loopback
 * only, files in `dir`, no snapshots, the append-only file synced every second (as
 * docs/sync-server.md, "Several processes", asks of Redis).
 */
export function redisServerArgs(port: number, dir: string): string[] {
	return [
		'--port',
		String(port),
		'--bind',
		'127.0.0.1',
		'--dir',
		dir,
		'--save',
		'',
		'--appendonly',
		'yes',
		'--appendfsync',
		'everysec',
		'--protected-mode',
		'yes'
	];
}

export async function startTestRedis(): Promise<TestRedis> {
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), 'dispatch-redis-'));
	let child: ChildProcess | null = null;
	let output = '';
	const start = async () => {
		output = '';
		const proc = spawn('redis-server', redisServerArgs(port, dir), {
			stdio: ['ignore', 'pipe', 'pipe']
		});
		child = proc;
		proc.stdout?.on('data', (d) => (output += d));
		proc.stderr?.on('data', (d) => (output += d));
		const deadline = Date.now() + 10_000;
		while (!(await pingRedis(port))) {
			if (proc.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
			if (Date.now() > deadline) throw new Error(`redis-server did not answer:\n${output}`);
			await new Promise((r) => setTimeout(r, 50));
		}
	};
	const stop = async () => {
		const proc = child;
		child = null;
		if (!proc || proc.exitCode !== null) return;
		const exited = new Promise((resolve) => proc.once('exit', resolve));
		proc.kill('SIGTERM'); // redis-server shuts down as with SHUTDOWN: AOF flushed
		const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
		await exited;
		clearTimeout(timer);
	};
	await start();
	return {
		url: `redis://127.0.0.1:${port}`,
		port,
		stop,
		start,
		async destroy() {
			await stop();
			rmSync(dir, { recursive: true, force: true });
		}
	};
}
