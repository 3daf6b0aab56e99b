// scripts/db.sh, the local database of dev, tests and the bench: its FERRETDB_SYNCHRONOUS setting
// is checked before anything starts, and with the default (`normal`, no fsync per commit) a write
// FerretDB acknowledged survives FerretDB being killed outright.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';

const run = promisify(execFile);

const dirs: string[] = [];
const started: Array<Record<string, string>> = [];

function dbEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
	const dir = mkdtempSync(join(tmpdir(), 'dispatch-db-script-'));
	dirs.push(dir);
	return { ...process.env, DB_PORT: String(port), DB_DIR: dir, ...extra } as Record<string, string>;
}

const db = (command: string, env: Record<string, string>) =>
	run('bash', ['scripts/db.sh', command], { env, timeout: 120_000 });

afterAll(async () => {
	for (const env of started) await db('stop', env).catch(() => undefined);
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/db.sh', () => {
	it('refuses an unknown FERRETDB_SYNCHRONOUS before starting anything', async () => {
		const env = dbEnv(await freePort(), { FERRETDB_SYNCHRONOUS: 'off' });
		const failed = await db('start', env).then(
			() => null,
			(error: { code: number; stderr: string }) => error
		);
		expect(failed?.code).toBe(2);
		expect(failed?.stderr).toContain('FERRETDB_SYNCHRONOUS must be normal, full or extra');
		// nothing was started on that port
		const { FERRETDB_SYNCHRONOUS: _bad, ...valid } = env;
		await expect(db('status', valid)).rejects.toMatchObject({ code: 1 });
	});

	it(
		'keeps an acknowledged write when FerretDB is killed (synchronous=normal by default)',
		{ timeout: 180_000 },
		async () => {
			const port = await freePort();
			const env = dbEnv(port);
			await db('start', env);
			started.push(env);
			const pid = Number(readFileSync(join(env.DB_DIR!, 'ferretdb.pid'), 'utf8'));
			expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('synchronous(normal)');

			const uri = `mongodb://127.0.0.1:${port}/`;
			const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
			await client.connect();
			const rows = client.db('crash').collection<{ _id: string; n: number }>('rows');
			await rows.insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: `r${n}`, n })));
			await client.close(true);

			process.kill(pid, 'SIGKILL');
			for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await sleep(50);
			await expect(db('status', env)).rejects.toMatchObject({ code: 1 });
			await db('start', env);

			const again = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
			await again.connect();
			try {
				const found = await again.db('crash').collection('rows').countDocuments();
				expect(found).toBe(50);
			} finally {
				await again.close(true);
			}
		}
	);
});
