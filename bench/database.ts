// A scratch FerretDB for the bench (scripts/db.sh on a free port, data in a temporary folder),
// pinned with the servers, and a fresh database per measured run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from 'mongodb';
import { connectDatabase, type Database } from '../src/lib/shared/db.ts';
import { freePort } from '../tests/support/ports.ts';

export interface ScratchFerret {
	baseUri: string;
	/** FerretDB's pid, for its CPU time. */
	pid: number;
	stop(): void;
}

/** Every scratch FerretDB still running (the bench's cleanup stops them all). */
const running = new Set<ScratchFerret>();

export function stopAllScratchFerrets(): void {
	for (const ferret of [...running]) ferret.stop();
}

export async function startScratchFerret(core: number | null): Promise<ScratchFerret> {
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), 'dispatch-bench-db-'));
	const env = { ...process.env, DB_PORT: String(port), DB_DIR: dir };
	const command = core === null ? ['bash'] : ['taskset', '-c', String(core), 'bash'];
	let stopped = false;
	let pid = 0;
	const handle: ScratchFerret = { baseUri: '', pid: 0, stop: () => stop() };
	/** Never throws: it runs in cleanup paths. */
	const stop = () => {
		if (stopped) return;
		stopped = true;
		running.delete(handle);
		try {
			execFileSync('bash', ['scripts/db.sh', 'stop'], { env, stdio: 'ignore', timeout: 20_000 });
		} catch {
			// the script's own wait ran out (a busy machine): make sure it is gone anyway
		}
		if (pid > 0) {
			try {
				process.kill(pid, 'SIGKILL');
			} catch {
				/* already gone */
			}
		}
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		execFileSync(command[0]!, [...command.slice(1), 'scripts/db.sh', 'start'], {
			env,
			stdio: ['ignore', 'ignore', 'pipe'],
			timeout: 120_000
		});
		pid = Number(readFileSync(join(dir, 'ferretdb.pid'), 'utf8').trim());
		handle.baseUri = `mongodb://127.0.0.1:${port}/`;
		handle.pid = pid;
		running.add(handle);
		return handle;
	} catch (error) {
		stop();
		throw error;
	}
}

export function databaseUri(baseUri: string, name: string): string {
	const url = new URL(baseUri);
	url.pathname = `/${name}`;
	return url.toString();
}

export async function openDatabase(
	baseUri: string,
	name: string
): Promise<{ uri: string; database: Database }> {
	const uri = databaseUri(baseUri, name);
	const database = await connectDatabase(uri, { appName: 'dispatch-bench', maxPoolSize: 32 });
	return { uri, database };
}

/** Runs `task` over `items` with at most `limit` running at once. */
export async function mapLimit<T, R>(
	items: readonly T[],
	limit: number,
	task: (item: T, index: number) => Promise<R>
): Promise<R[]> {
	const results = new Array<R>(items.length);
	let next = 0;
	const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
		while (next < items.length) {
			const index = next++;
			results[index] = await task(items[index]!, index);
		}
	});
	await Promise.all(workers);
	return results;
}

/**
 * Every collection of `from`, documents only, into the empty `to` (the sync-server creates the
 * indexes as it starts): a second database as the first was seeded, for the `pair` topology.
 */
export async function copyDatabase(from: Db, to: Db): Promise<void> {
	for (const { name } of await from.listCollections({}, { nameOnly: true }).toArray()) {
		const source = from.collection(name);
		const target = to.collection(name);
		let batch: Record<string, unknown>[] = [];
		for await (const doc of source.find({})) {
			batch.push(doc);
			if (batch.length === 1000) {
				await target.insertMany(batch);
				batch = [];
			}
		}
		if (batch.length > 0) await target.insertMany(batch);
	}
}
