// Child processes of the bench: started in their own process group (so a stop kills whatever
// they spawned), optionally pinned to a core with taskset, read through /proc, and always
// killed on the way out, whatever happens.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const CLOCK_TICKS_PER_SECOND = (() => {
	try {
		return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
	} catch {
		return 100;
	}
})();

export interface Pinning {
	/** Core for servers (and their database); null when not pinning. */
	serverCore: number | null;
	/** Core for the load generator (this process). */
	clientCore: number | null;
	note: string;
}

/** Decides the cores and pins this process (the load generator) to its core. */
export function setUpPinning(wanted: boolean): Pinning {
	if (!wanted) return { serverCore: null, clientCore: null, note: 'not pinned (--no-pin)' };
	if (availableParallelism() < 2) {
		return { serverCore: null, clientCore: null, note: 'not pinned: fewer than 2 cores' };
	}
	if (!existsSync('/usr/bin/taskset') && !existsSync('/bin/taskset')) {
		return { serverCore: null, clientCore: null, note: 'not pinned: taskset not found' };
	}
	// -a: every thread of this process (libuv pool, V8 helpers), not only the main one
	execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
	return {
		serverCore: 0,
		clientCore: 1,
		note: 'servers + database on core 0, load generator on core 1'
	};
}

export interface Child {
	name: string;
	child: ChildProcess;
	pid: number;
	output(): string;
	/** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the process has exited. */
	stop(graceMs?: number): Promise<void>;
	exited: Promise<number | null>;
}

const running = new Set<Child>();

export function spawnChild(options: {
	name: string;
	command: string;
	args: string[];
	env?: Record<string, string>;
	core: number | null;
}): Child {
	const [command, args] =
		options.core === null
			? [options.command, options.args]
			: ['taskset', ['-c', String(options.core), options.command, ...options.args]];
	const child = spawn(command, args, {
		env: { ...process.env, ...options.env },
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true // own process group: stop() reaches anything it starts
	});
	let log = '';
	const keep = (chunk: Buffer) => {
		log += chunk.toString();
		if (log.length > 200_000) log = log.slice(-100_000);
	};
	child.stdout?.on('data', keep);
	child.stderr?.on('data', keep);
	if (child.pid === undefined) throw new Error(`${options.name}: could not start ${command}`);
	const exited = new Promise<number | null>((resolve) => {
		child.once('exit', (code) => resolve(code));
		child.once('error', () => resolve(null));
	});
	const handle: Child = {
		name: options.name,
		child,
		pid: child.pid,
		output: () => log,
		exited,
		async stop(graceMs = 10_000) {
			if (child.exitCode === null && child.signalCode === null) {
				signalGroup(child.pid!, 'SIGTERM');
				const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), graceMs);
				await exited;
				clearTimeout(timer);
			}
			// whatever the process left behind in its group
			signalGroup(child.pid!, 'SIGKILL');
			running.delete(handle);
		}
	};
	running.add(handle);
	void exited.then(() => running.delete(handle));
	return handle;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal);
	} catch {
		/* already gone */
	}
}

/** Kills every child still running (SIGKILL to each group): the last line of defence. */
export function killAllChildren(): void {
	for (const child of running) signalGroup(child.pid, 'SIGKILL');
	running.clear();
}

/** Polls `url` until it answers (any status below 500) or the child exits. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.child.exitCode !== null || child.child.signalCode !== null) {
			throw new Error(`${child.name} exited before it was ready:\n${child.output().slice(-4000)}`);
		}
		try {
			const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
			await res.arrayBuffer();
			if (res.status < 500) return;
		} catch {
			/* not listening yet */
		}
		await sleep(100);
	}
	throw new Error(
		`${child.name} did not answer ${url} within ${timeoutMs} ms:\n${child.output().slice(-4000)}`
	);
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** User + system CPU, ms, from a `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat` text. */
function statCpuMs(stat: string): number {
	// the command name may contain spaces; the fields after it are space separated
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const utime = Number(fields[11]);
	const stime = Number(fields[12]);
	return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** CPU time (user + system) the process has used so far, in milliseconds (all its threads). */
export function cpuTimeMs(pid: number): number {
	return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/**
 * How often the process's main thread has blocked and been woken so far (its voluntary context
 * switches; /proc/<pid>/status counts the main thread's alone): in Node, each time the event loop
 * had nothing to do and an event woke it.
 */
export function mainThreadWakeups(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const match = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(status);
	if (!match) throw new Error(`no voluntary_ctxt_switches for pid ${pid}`);
	return Number(match[1]);
}

/** Resident set size of the process, in bytes. */
function rssBytes(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
	if (!match) throw new Error(`no VmRSS for pid ${pid}`);
	return Number(match[1]) * 1024;
}

/**
 * The kernel's count of connections dropped because a listening socket's accept queue was full
 * (`TcpExt: ListenOverflows`, for the whole machine; one server runs at a time). Each such drop
 * costs the client a SYN retransmit: 1 s, then 3, 7, 15 s after its first attempt.
 */
export function listenOverflows(): number {
	try {
		const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
		for (let i = 0; i + 1 < lines.length; i += 2) {
			const names = lines[i]!.split(/\s+/);
			if (names[0] !== 'TcpExt:') continue;
			const values = lines[i + 1]!.split(/\s+/);
			const at = names.indexOf('ListenOverflows');
			return at > 0 ? Number(values[at]) : NaN;
		}
	} catch {
		// not Linux: the column shows n/a
	}
	return NaN;
}

/**
 * RSS once it has settled: read every 250 ms until the last `stableMs` moved by less than 1 %,
 * or `maxMs` passed. A server that just handled a burst keeps garbage for a while; reading at a
 * fixed moment made the idle-connection cost swing between runs (even below zero).
 */
export async function settledRssBytes(
	pid: number,
	options: { stableMs?: number; maxMs?: number } = {}
): Promise<number> {
	const stableMs = options.stableMs ?? 1_000;
	const deadline = Date.now() + (options.maxMs ?? 4_000);
	const readings: Array<{ at: number; rss: number }> = [];
	for (;;) {
		const now = Date.now();
		const rss = rssBytes(pid);
		readings.push({ at: now, rss });
		while (readings.length > 0 && readings[0]!.at < now - stableMs) readings.shift();
		const values = readings.map((r) => r.rss);
		const spread = Math.max(...values) - Math.min(...values);
		const covered = now - readings[0]!.at >= stableMs - 300;
		if ((covered && spread < rss * 0.01) || now >= deadline) return rss;
		await sleep(250);
	}
}

/** The ids of every process in process group `pgid` (a child started by `spawnChild` leads one). */
export function groupPids(pgid: number): number[] {
	const pids: number[] = [];
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			if (Number(fields[2]) === pgid) pids.push(Number(entry));
		} catch {
			// gone between the listing and the read
		}
	}
	return pids;
}

/**
 * CPU time (user + system) of every process in group `pgid` so far, ms: nginx's master and
 * workers, say. A process that exits in between takes its time with it, so read a group whose
 * members live through the measured span.
 */
export function groupCpuTimeMs(pgid: number): number {
	let sum = 0;
	for (const pid of groupPids(pgid)) {
		try {
			sum += cpuTimeMs(pid);
		} catch {
			// exited meanwhile
		}
	}
	return sum;
}

/**
 * CPU time so far of each thread but the main one of every process in group `pgid`, ms, by
 * thread id: in a Node process V8's compiler and GC helper threads and libuv's pool. Read thread
 * by thread (the difference between a process's total and its main thread's is not: the kernel
 * scales the two to the scheduler's runtime apart, and a small window can come out below zero).
 */
export function groupHelperThreadsCpuMs(pgid: number): Map<number, number> {
	const byThread = new Map<number, number>();
	for (const pid of groupPids(pgid)) {
		let threads: string[];
		try {
			threads = readdirSync(`/proc/${pid}/task`);
		} catch {
			continue; // exited meanwhile
		}
		for (const tid of threads) {
			if (Number(tid) === pid) continue;
			try {
				byThread.set(Number(tid), statCpuMs(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
			} catch {
				// exited meanwhile
			}
		}
	}
	return byThread;
}
