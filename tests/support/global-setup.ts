// Starts one FerretDB for the whole test run on a free loopback port with a fresh data folder.
// Each test file then works in a database of its own (see `testDatabaseUri`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from './ports.ts';

declare module 'vitest' {
	export interface ProvidedContext {
		mongoBaseUri: string;
	}
}

export default async function setup(project: TestProject) {
	if (process.env.TEST_MONGODB_URI) {
		project.provide('mongoBaseUri', process.env.TEST_MONGODB_URI);
		return;
	}
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), 'dispatch-testdb-'));
	const env = { ...process.env, DB_PORT: String(port), DB_DIR: dir };
	execFileSync('bash', ['scripts/db.sh', 'start'], { env, stdio: 'inherit' });
	project.provide('mongoBaseUri', `mongodb://127.0.0.1:${port}/`);
	return () => {
		execFileSync('bash', ['scripts/db.sh', 'stop'], { env, stdio: 'inherit' });
		rmSync(dir, { recursive: true, force: true });
	};
}
