import { describe, expect, it } from 'vitest';
import { EventSources, FakeDb, fakeStorage, logRow } from '../../tests/support/fake-mongo.ts';

/** Storage with rows in it as the group commit leaves them, and a compactor over it. */
async function setup() {
	const storage = await fakeStorage(new FakeDb(), 'compaction-test');
	const { db, generations, logs } = storage;
	const sources = new EventSources();
	/** Appends an event to a document and writes it as its next row. */
	const write = async (name: string, text: string) => {
		const { source, update } = sources.append(name, text);
		if (!logs.has(name)) logs.loaded(name, 0, 0);
		const log = logs.get(name)!;
		const seq = log.lastSeq + 1;
		await db
			.collection(generations.current.collection.collectionName)
			.insertMany([logRow(name, seq, update)]);
		generations.written(name, seq);
		log.written(seq);
		return source;
	};
	return { ...storage, write };
}

describe('Compactor', () => {
	it('compacts a loaded document from memory, reading none of its rows', async () => {
		const { db, compactor, write, live, logs, generations, snapshotOf, counter } = await setup();
		await write('order/a', 'a1');
		live.set('order/a', await write('order/a', 'a2'));
		await compactor.compact('order/a');
		expect(snapshotOf('order/a')).toEqual({ mergedSeq: 2, events: ['a1', 'a2'] });
		expect(db.calls.filter((call) => call.startsWith('ydoc_log_'))).toEqual([
			'ydoc_log_1 insertMany',
			'ydoc_log_1 insertMany'
		]);
		expect(await counter('sync_compactions_from_memory_total')).toBe(1);
		expect(logs.get('order/a')!.mergedSeq).toBe(2);
		expect(generations.lastSeq('order/a')).toBe(0);
	});

	it('merges a document not loaded from its rows onto its snapshot, then drops what is drained', async () => {
		const { db, compactor, write, generations, snapshotOf, counter } = await setup();
		for (const text of ['a1', 'a2', 'a3']) await write('order/a', text);
		await compactor.compact('order/a');
		expect(snapshotOf('order/a')).toEqual({ mergedSeq: 3, events: ['a1', 'a2', 'a3'] });
		// more rows, in the next generation; the first is closed
		generations.rotate();
		await write('order/a', 'a4');
		await write('order/a', 'a5');
		db.calls.length = 0;
		await compactor.compact('order/a');
		expect(snapshotOf('order/a')).toEqual({
			mergedSeq: 5,
			events: ['a1', 'a2', 'a3', 'a4', 'a5']
		});
		// only the rows after the snapshot are read; the snapshot is written before anything goes
		expect(db.calls).toEqual([
			'ydoc_snapshots findOne order/a',
			'ydoc_log_2 findOne order/a#4',
			'ydoc_log_2 findOne order/a#5',
			'ydoc_snapshots replaceOne order/a',
			'ydoc_log_1 drop'
		]);
		expect(await counter('sync_compactions_from_memory_total')).toBe(0);
		expect(await counter('sync_log_generations_dropped_total')).toBe(1);
	});

	it('runs one compaction at a time; a failed one is counted and the next still runs', async () => {
		const { db, snapshots, compactor, write, snapshotOf, counter } = await setup();
		await write('order/a', 'a1');
		await write('order/b', 'b1');
		snapshots.failNext('replaceOne', {});
		db.calls.length = 0;
		await Promise.all([compactor.compact('order/a'), compactor.compact('order/b')]);
		expect(db.calls).toEqual([
			'ydoc_snapshots findOne order/a',
			'ydoc_log_1 findOne order/a#1',
			'ydoc_snapshots replaceOne order/a',
			'ydoc_snapshots findOne order/b',
			'ydoc_log_1 findOne order/b#1',
			'ydoc_snapshots replaceOne order/b'
		]);
		expect(snapshotOf('order/a')).toBeNull();
		expect(snapshotOf('order/b')).toEqual({ mergedSeq: 1, events: ['b1'] });
		expect(await counter('sync_compaction_failures_total')).toBe(1);
	});

	it('compacts a scheduled document once however often asked, and nothing once winding down', async () => {
		const { compactor, write, snapshotOf, counter } = await setup();
		await write('order/a', 'a1');
		await write('order/b', 'b1');
		for (let i = 0; i < 3; i++) compactor.schedule('order/a');
		compactor.schedule('order/unknown'); // nothing stored for it: nothing to do
		await compactor.idle();
		expect(await counter('sync_compactions_total')).toBe(1);
		expect(snapshotOf('order/a')?.mergedSeq).toBe(1);

		compactor.windDown();
		compactor.schedule('order/b');
		await compactor.compact('order/b');
		expect(snapshotOf('order/b')).toBeNull();
	});
});
