// Debian's nginx in front of test servers, started the way the compose stack starts it:
// deploy/nginx/start.sh renders deploy/nginx/dispatch.conf.template for the addresses given and
// becomes nginx. Here nginx runs as the current user with everything in a scratch folder, on
// 127.0.0.1 ports, and its main configuration (the compose image's /etc/nginx/nginx.conf) is a
// few lines written below.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

export const NGINX = '/usr/sbin/nginx';

/** Why nginx cannot run here, or null when it can. */
export function nginxMissing(): string | null {
	if (!existsSync(NGINX)) {
		return `${NGINX} is missing: install Debian's nginx (bash scripts/setup.sh --system, which scripts/test.sh runs)`;
	}
	return null;
}

export interface RunningNginx {
	/** http://127.0.0.1:<port>: the web app and /sync/. */
	publicUrl: string;
	/** http://127.0.0.1:<port>: the service channel (SYNC_INTERNAL_URL). */
	internalUrl: string;
	/** The configuration start.sh rendered. */
	config: string;
	output(): string;
	stop(): Promise<void>;
}

/** The main configuration around the rendered file: what the nginx image's nginx.conf holds. */
function mainConfig(dir: string): string {
	const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
	return [
		// as root the workers would otherwise switch to nobody, who cannot enter the scratch folder
		process.getuid?.() === 0 ? `user ${userInfo().username};` : '',
		'worker_processes 1;',
		'events { worker_connections 1024; }',
		'http {',
		'	access_log off;',
		`	${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
		`	include ${join(dir, 'dispatch.conf')};`,
		'}',
		''
	].join('\n');
}

async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<void> {
	const deadline = Date.now() + 15_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}):\n${output()}`);
		try {
			if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) return;
		} catch {
			/* not listening yet */
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	throw new Error(`nginx did not answer ${url} within 15 s:\n${output()}`);
}

/**
 * Starts nginx through deploy/nginx/start.sh in front of `web` and `sync` ("127.0.0.1:port"
 * each). Every address is its own upstream server, as each replica is in the compose stack.
 */
export async function startNginx(options: {
	web: string[];
	sync: string[];
}): Promise<RunningNginx> {
	const dir = mkdtempSync(join(tmpdir(), 'dispatch-nginx-'));
	const [publicPort, internalPort] = [await freePort(), await freePort()];
	writeFileSync(join(dir, 'nginx.conf'), mainConfig(dir));
	let log = '';
	const child = spawn(
		'sh',
		[
			'deploy/nginx/start.sh',
			...['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'],
			...['-g', `daemon off; pid ${join(dir, 'nginx.pid')}; error_log stderr;`]
		],
		{
			env: {
				...process.env,
				DISPATCH_NGINX_CONF: join(dir, 'dispatch.conf'),
				DISPATCH_PUBLIC_LISTEN: `127.0.0.1:${publicPort}`,
				DISPATCH_INTERNAL_LISTEN: `127.0.0.1:${internalPort}`,
				DISPATCH_WEB_HOSTS: options.web.join(' '),
				DISPATCH_SYNC_HOSTS: options.sync.join(' '),
				DISPATCH_RESOLVE_SECONDS: '1',
				PATH: `/usr/sbin:${process.env.PATH}`
			},
			// its own process group: stop() ends nginx, its workers and start.sh's watcher together
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe']
		}
	);
	child.stdout?.on('data', (d) => (log += d));
	child.stderr?.on('data', (d) => (log += d));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	// should the test run end without stop(), nginx (detached) must not outlive it
	const killGroup = () => {
		try {
			if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
		} catch {
			/* gone already */
		}
	};
	process.once('exit', killGroup);
	const internalUrl = `http://127.0.0.1:${internalPort}`;
	const stop = async () => {
		if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
			try {
				process.kill(-child.pid, 'SIGTERM');
			} catch {
				/* gone already */
			}
			const timer = setTimeout(() => {
				try {
					process.kill(-child.pid!, 'SIGKILL');
				} catch {
					/* gone */
				}
			}, 5_000);
			await exited;
			clearTimeout(timer);
		}
		process.off('exit', killGroup);
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		await waitFor(`${internalUrl}/nginx-health`, child, () => log);
	} catch (error) {
		await stop();
		throw error;
	}
	return {
		publicUrl: `http://127.0.0.1:${publicPort}`,
		internalUrl,
		config: readFileSync(join(dir, 'dispatch.conf'), 'utf8'),
		output: () => log,
		stop
	};
}
