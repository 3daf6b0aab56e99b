// scripts/up.sh as a user runs it, on free ports with a scratch FerretDB folder and the suite's
// build (UP_SKIP_BUILD=1): when the sync-server dies, up.sh says so (name and status), stops the
// web app and the database and exits non-zero; started in the background by a non-interactive
// shell (where SIGINT arrives ignored), a SIGINT to its pid still stops everything.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';

const run = promisify(execFile);

interface UpRun {
	/** `bash scripts/up.sh`, or the `bash -c` that started it in the background. */
	child: ChildProcess;
	/** up.sh's own pid. */
	upPid(): number;
	output(): string;
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	env: Record<string, string>;
	ports: { web: number; sync: number; db: number };
	dbDir: string;
}

const runs: UpRun[] = [];

/** Three distinct free loopback ports. */
async function ports(): Promise<UpRun['ports']> {
	const found = new Set<number>();
	while (found.size < 3) found.add(await freePort());
	const [web, sync, db] = [...found] as [number, number, number];
	return { web, sync, db };
}

async function startUp(mode: 'foreground' | 'background'): Promise<UpRun> {
	const p = await ports();
	const dbDir = mkdtempSync(join(tmpdir(), 'dispatch-up-script-'));
	const env: Record<string, string> = {
		...(process.env as Record<string, string>),
		PORT: String(p.web),
		SYNC_PORT: String(p.sync),
		HOST: '127.0.0.1',
		SYNC_HOST: '127.0.0.1',
		ORIGIN: `http://127.0.0.1:${p.web}`,
		DB_PORT: String(p.db),
		DB_DIR: dbDir,
		SYNC_SECRET: 'up-script-test-secret-0123456789',
		UP_SKIP_BUILD: '1',
		LOG_LEVEL: 'warn',
		UP_PID_FILE: join(dbDir, 'up.pid')
	};
	delete env.MONGODB_URI; // up.sh starts its own database
	delete env.ALLOWED_ORIGINS;
	delete env.UP_SIGNALS_RESET;
	const args =
		mode === 'foreground'
			? ['scripts/up.sh']
			: // a non-interactive shell's background job: it starts with SIGINT ignored
				['-c', 'bash scripts/up.sh & echo "$!" > "$UP_PID_FILE"; wait "$!"'];
	// its own process group, so that afterEach can end whatever a failed test left behind
	const child = spawn('bash', args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
	let log = '';
	child.stdout!.on('data', (d) => (log += d));
	child.stderr!.on('data', (d) => (log += d));
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
		child.once('exit', (code, signal) => resolve({ code, signal }))
	);
	const upRun: UpRun = {
		child,
		upPid: () =>
			mode === 'foreground' ? child.pid! : Number(readFileSync(env.UP_PID_FILE!, 'utf8').trim()),
		output: () => log,
		exited,
		env,
		ports: p,
		dbDir
	};
	runs.push(upRun);
	return upRun;
}

/** Alive and not a zombie (an orphan's exit may not be reaped at once in a container). */
function alive(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch {
		return false;
	}
}

function listening(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect({ host: '127.0.0.1', port });
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => resolve(false));
	});
}

async function healthy(url: string): Promise<boolean> {
	try {
		return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
	} catch {
		return false;
	}
}

/** Waits (bounded) for up.sh's banner and both health checks. */
async function waitUntilUp(up: UpRun, timeoutMs = 150_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (up.child.exitCode !== null) throw new Error(`up.sh exited early:\n${up.output()}`);
		if (
			up.output().includes('Dispatch is up.') &&
			(await healthy(`http://127.0.0.1:${up.ports.web}/api/health`)) &&
			(await healthy(`http://127.0.0.1:${up.ports.sync}/healthz`))
		)
			return;
		await sleep(250);
	}
	throw new Error(`up.sh was not up in ${timeoutMs} ms:\n${up.output()}`);
}

/** up.sh's children: the sync-server and the web app, by their command lines. */
async function children(upPid: number): Promise<{ sync: number; web: number }> {
	const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(upPid)]);
	const find = (pattern: RegExp) => {
		const line = stdout.split('\n').find((l) => pattern.test(l));
		if (!line) throw new Error(`no ${pattern} among up.sh's children:\n${stdout}`);
		return Number(line.trim().split(/\s+/, 1)[0]);
	};
	return { sync: find(/node .*build-sync\/main\.js/), web: find(/node build\/index\.js/) };
}

function dbPid(up: UpRun): number {
	return Number(readFileSync(join(up.dbDir, 'ferretdb.pid'), 'utf8').trim());
}

/** Resolves with up.sh's (or its wrapper's) exit, or fails after `timeoutMs`. */
async function exitOf(up: UpRun, timeoutMs = 60_000) {
	const timeout = sleep(timeoutMs).then(() => {
		throw new Error(`up.sh did not exit in ${timeoutMs} ms:\n${up.output()}`);
	});
	return Promise.race([up.exited, timeout]);
}

async function expectAllGone(up: UpRun, pids: number[]) {
	for (const pid of pids) expect(alive(pid), `pid ${pid} is still running`).toBe(false);
	for (const port of Object.values(up.ports)) {
		expect(await listening(port), `something still listens on ${port}`).toBe(false);
	}
	expect(existsSync(join(up.dbDir, 'ferretdb.pid')), 'db.sh stop ran').toBe(false);
}

afterEach(async () => {
	for (const up of runs.splice(0)) {
		if (up.child.exitCode === null && up.child.signalCode === null) {
			try {
				process.kill(-up.child.pid!, 'SIGKILL');
			} catch {
				/* already gone */
			}
		}
		await run('bash', ['scripts/db.sh', 'stop'], { env: up.env, timeout: 30_000 }).catch(
			() => undefined
		);
		rmSync(up.dbDir, { recursive: true, force: true });
	}
}, 60_000);

describe('scripts/up.sh', () => {
	it('when the sync-server dies, names it, stops the rest and exits non-zero', async () => {
		const up = await startUp('foreground');
		await waitUntilUp(up);
		const { sync, web } = await children(up.upPid());
		const db = dbPid(up);
		expect([sync, web, db].every(alive)).toBe(true);

		process.kill(sync, 'SIGKILL');
		const { code } = await exitOf(up);

		expect(code, up.output()).not.toBe(0);
		expect(code).not.toBeNull();
		expect(up.output()).toMatch(
			new RegExp(`the sync-server \\(pid ${sync}\\) exited with status 137 \\(SIGKILL\\)`)
		);
		await expectAllGone(up, [sync, web, db, up.upPid()]);
	}, 240_000);

	it('started in the background, stops everything on SIGINT to its pid', async () => {
		const up = await startUp('background');
		await waitUntilUp(up);
		const upPid = up.upPid();
		expect(upPid).not.toBe(up.child.pid);
		const { sync, web } = await children(upPid);
		const db = dbPid(up);

		process.kill(upPid, 'SIGINT');
		const { code } = await exitOf(up);

		expect(code, up.output()).toBe(130); // the wrapper's `wait` gives up.sh's status
		expect(up.output()).toContain('up.sh: SIGINT, stopping everything');
		await expectAllGone(up, [sync, web, db, upPid]);
	}, 240_000);
});
