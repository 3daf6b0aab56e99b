// How a process that shares documents reads one from MongoDB without the storage writer's
// bookkeeping (sync-server/persistence/stored-state.ts): the snapshot and the rows after it, by
// `_id` only, across generations, also while the writer compacts and drops what it reads.
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Database } from '../../src/lib/shared/db.ts';
import { createLogger } from '../../src/lib/shared/log.ts';
import { MongoPersistence } from '../../sync-server/persistence/mongo-persistence.ts';
import { StoredStateReader } from '../../sync-server/persistence/stored-state.ts';
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

const reader = (findSnapshot?: ConstructorParameters<typeof StoredStateReader>[2]) =>
	new StoredStateReader(database.db, database.collections.docSnapshots, findSnapshot);

async function read(
	name: string,
	findSnapshot?: ConstructorParameters<typeof StoredStateReader>[2],
	tail: number | null = null
) {
	const { updates: parts } = await reader(findSnapshot).read(name, tail);
	const doc = new Y.Doc();
	for (const part of parts) Y.applyUpdate(doc, part);
	return doc.getArray<number>('n').toArray();
}

describe('StoredStateReader', () => {
	it('is empty for a document never stored', async () => {
		expect(await reader().read('order/none')).toEqual({ updates: [], seq: 0 });
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

	it('with the tail known and every row up to it where it was listed: no listing, no second look at the snapshot', async () => {
		const doc = await storeRows('order/quick', 5);
		await writer.compact('order/quick');
		await storeRows('order/quick', 3, doc);
		const calls = { listCollections: 0, snapshotChecks: 0 };
		const db = new Proxy(database.db, {
			get(target, key, receiver) {
				if (key === 'listCollections') calls.listCollections++;
				const value = Reflect.get(target, key, receiver);
				return typeof value === 'function' ? value.bind(target) : value;
			}
		});
		const snapshots = new Proxy(database.collections.docSnapshots, {
			get(target, key, receiver) {
				if (key === 'findOne') calls.snapshotChecks++;
				const value = Reflect.get(target, key, receiver);
				return typeof value === 'function' ? value.bind(target) : value;
			}
		});
		const quick = new StoredStateReader(db, snapshots, (id) =>
			database.collections.docSnapshots.findOne({ _id: id })
		);
		const values = async (tail: number) => {
			const { updates, seq } = await quick.read('order/quick', tail);
			const copy = new Y.Doc();
			for (const part of updates) Y.applyUpdate(copy, part);
			return [copy.getArray<number>('n').toArray(), seq];
		};
		expect(await values(8)).toEqual([[...Array(8).keys()], 8]);
		expect(await values(8)).toEqual([[...Array(8).keys()], 8]);
		// a row past the tail is not looked for (it is in the shared log, which the caller read)
		await storeRows('order/quick', 1, doc);
		expect(await values(8)).toEqual([[...Array(8).keys()], 8]);
		expect(calls).toEqual({ listCollections: 1, snapshotChecks: 0 });
		// a generation opened since the listing: its row is missing there, so the long way
		await writer.rotateLog();
		await storeRows('order/quick', 1, doc);
		expect(await values(10)).toEqual([[...Array(10).keys()], 10]);
		expect(calls.listCollections).toBe(2);
		expect(calls.snapshotChecks).toBe(1);
	});

	it('with the tail known, reads again when a compaction merged and dropped rows while it read', async () => {
		await storeRows('order/race-tail', 6);
		let armed = false;
		let compacted = false;
		const racing = new StoredStateReader(
			database.db,
			database.collections.docSnapshots,
			async (id) => {
				const snapshot = await database.collections.docSnapshots.findOne({ _id: id });
				if (armed && !compacted) {
					compacted = true;
					// between this snapshot and the rows: the rows go into a new snapshot, and the
					// generation this reader listed is closed and dropped
					await writer.rotateLog();
				}
				return snapshot;
			}
		);
		const values = async () => {
			const copy = new Y.Doc();
			for (const part of (await racing.read('order/race-tail', 6)).updates) {
				Y.applyUpdate(copy, part);
			}
			return copy.getArray<number>('n').toArray();
		};
		expect(await values()).toEqual([...Array(6).keys()]);
		armed = true;
		expect(await values()).toEqual([...Array(6).keys()]);
		expect(compacted).toBe(true);
		expect(await countLogEntries(database, 'order/race-tail')).toBe(0);
	});

	it('with the log’s tail known: only the snapshot when it covers the tail, the rows up to it otherwise', async () => {
		const doc = await storeRows('order/tail', 5);
		await writer.compact('order/tail');
		await storeRows('order/tail', 1, doc);
		const read = async (tail: number | null) => {
			const { updates, seq } = await reader().read('order/tail', tail);
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
