import { inject } from 'vitest';
import { connectDatabase, type Database } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';

/** A fresh, uniquely named database on the run's FerretDB (or TEST_MONGODB_URI). */
export function testDatabaseUri(label: string): string {
	const base = inject('mongoBaseUri');
	const url = new URL(base);
	url.pathname = `/t_${label.replace(/[^a-z0-9]/gi, '_').slice(0, 20)}_${randomId(5)}`;
	return url.toString();
}

export async function openTestDatabase(
	label: string
): Promise<{ uri: string; database: Database }> {
	const uri = testDatabaseUri(label);
	const database = await connectDatabase(uri, { appName: 'dispatch-tests' });
	return { uri, database };
}

/** Drops a database from `openTestDatabase` and closes its connection (no-op when never opened). */
export async function dropTestDatabase(database: Database | undefined): Promise<void> {
	await database?.db.dropDatabase();
	await database?.close();
}
