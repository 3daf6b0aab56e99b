// FerretDB 1.24 hangs on an update command of more than about 100 operations (each holds one of
// its 100 SQLite connections until the command ends). bulkWriteInChunks keeps every command
// small; this runs more operations than that through it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bulkWriteInChunks, BULK_WRITE_CHUNK, type Database } from '../../src/lib/shared/db.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';

let database: Database;

beforeAll(async () => {
	database = (await openTestDatabase('bulk_write')).database;
});

afterAll(async () => {
	await dropTestDatabase(database);
});

it('writes 250 updates in chunks and sums what each chunk matched and changed', async () => {
	const rows = database.db.collection<{ _id: string; n: number }>('bulk_rows');
	await rows.insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: `r${i}`, n: 0 })));
	expect(BULK_WRITE_CHUNK).toBeLessThan(100);
	const result = await bulkWriteInChunks(
		rows,
		Array.from({ length: 250 }, (_, i) => ({
			updateOne: { filter: { _id: `r${i}` }, update: { $set: { n: i } }, upsert: true }
		}))
	);
	expect(result).toEqual({ matchedCount: 200, modifiedCount: 199, upsertedCount: 50 });
	expect(await rows.countDocuments({})).toBe(250);
	expect((await rows.findOne({ _id: 'r249' }))?.n).toBe(249);
}, 30_000);
