// How a process that shares documents reads one from MongoDB without the storage writer's
// bookkeeping (sync-server/persistence/stored-state.ts): the snapshot and the rows after it, by
// `_id` only, across generations, also while the writer compacts and drops what it reads.
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Database } from '../../src/lib/shared/db.ts';
import { createLogger } from '../../src/lib/shared/log.ts';
import { MongoPersistence } from '../../sync-server/persistence/mongo-persistence.ts';
import { readStoredState } from '../../sync-server/persistence/stored-state.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import { countLogEntries } from '../support/sync-clients.ts';

let database: Database;
let writer: MongoPersistence;

beforeEach(async () => {
	database = (await openTestDatabase('stored_state')).database;
	writer = new MongoPersistence(database, {
		persistDelayMs: 0,
		compactThreshold: 1000,
		generationRows: 1000,
		maxFlushAttempts: 5,
		log: createLogger('stored-state-test', 'silent'),
		registry: new Registry()
	});
	await writer.open();
});

afterEach(async () => {
	await writer.close();
	await dropTestDatabase(database);
});

/** Stores `count` updates of `name`, each in a write of its own (a row each); returns the doc. */
async function storeRows(name: string, count: number, doc = new Y.Doc()): Promise<Y.Doc> {
	for (let written = 0; written < count; written++) {
		const before = Y.encodeStateVector(doc);
		doc.getArray<number>('n').push([doc.getArray<number>('n').length]);
		await writer.store(name, Y.encodeStateAsUpdate(doc, before));
	}
	return doc;
}

async function read(name: string, findSnapshot?: Parameters<typeof readStoredState>[3]) {
	const { updates: parts } = await readStoredState(
		database.db,
		database.collections.docSnapshots,
		name,
		findSnapshot
	);
	const doc = new Y.Doc();
	for (const part of parts) Y.applyUpdate(doc, part);
	return doc.getArray<number>('n').toArray();
}

describe('readStoredState', () => {
	it('is empty for a document never stored', async () => {
		expect(
			await readStoredState(database.db, database.collections.docSnapshots, 'order/none')
		).toEqual({ updates: [], seq: 0 });
	});

	it('reads every row, more than one window of them, without a snapshot', async () => {
		await storeRows('order/many', 70);
		expect(await countLogEntries(database, 'order/many')).toBe(70);
		expect(await read('order/many')).toEqual([...Array(70).keys()]);
	});

	it('reads the snapshot and the rows after it, across generations', async () => {
		const doc = await storeRows('order/mixed', 5);
		await writer.compact('order/mixed');
		await storeRows('order/mixed', 3, doc);
		await writer.rotateLog();
		await storeRows('order/mixed', 4, doc);
		expect(await read('order/mixed')).toEqual([...Array(12).keys()]);
	});

	it('reads again when a compaction merged and dropped rows while it read', async () => {
		const doc = await storeRows('order/race', 6);
		let compacted = false;
		const racing = async (id: string) => {
			const snapshot = await database.collections.docSnapshots.findOne({ _id: id });
			if (!compacted) {
				compacted = true;
				// between this snapshot and the rows: the rows go into a new snapshot, and their
				// generation is closed and dropped
				await writer.rotateLog();
			}
			return snapshot;
		};
		expect(await read('order/race', racing)).toEqual([...Array(6).keys()]);
		expect(compacted).toBe(true);
		expect(await countLogEntries(database, 'order/race')).toBe(0);
		await storeRows('order/race', 1, doc);
		expect(await read('order/race')).toEqual([...Array(7).keys()]);
	});

	it('with the log’s tail known: only the snapshot when it covers the tail, the rows up to it otherwise', async () => {
		const doc = await storeRows('order/tail', 5);
		await writer.compact('order/tail');
		await storeRows('order/tail', 1, doc);
		const read = async (tail: number | null) => {
			const { updates, seq } = await readStoredState(
				database.db,
				database.collections.docSnapshots,
				'order/tail',
				undefined,
				tail
			);
			const copy = new Y.Doc();
			for (const part of updates) Y.applyUpdate(copy, part);
			return [copy.getArray<number>('n').length, seq];
		};
		// a tail the snapshot covers: the row after it is not even looked for
		expect(await read(5)).toEqual([5, 5]);
		expect(await read(6)).toEqual([6, 6]);
		expect(await read(null)).toEqual([6, 6]);
	});
});
