import { Binary } from 'mongodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { EventSources, FakeDb, fakeStorage, logRow } from '../../tests/support/fake-mongo.ts';
import { Retirement } from './retirement.ts';

afterEach(() => {
	vi.useRealTimers();
});

/**
 * What a restart finds: a generation an earlier run left (its documents not loaded, their
 * positions unknown), and a retirement over it.
 */
async function setup(rows: { doc: string; seq: number; text: string }[]) {
	const db = new FakeDb();
	const sources = new EventSources();
	const earlier = db.collection('ydoc_log_1');
	for (const { doc, seq, text } of rows) {
		await earlier.insertMany([logRow(doc, seq, sources.append(doc, text).update)]);
	}
	const storage = await fakeStorage(db, 'retirement-test');
	return {
		...storage,
		generation: storage.discovered[0]!,
		sources: sources.docs,
		retirement: new Retirement(storage.compactor, storage.generations)
	};
}

describe('Retirement', () => {
	it('compacts every document of a closed generation (loaded ones from memory, the rest from one read of it), then drops it', async () => {
		const rows = [
			{ doc: 'order/a', seq: 1, text: 'a1' },
			{ doc: 'order/a', seq: 2, text: 'a2' },
			{ doc: 'order/b', seq: 1, text: 'b1' },
			{ doc: 'order/b', seq: 2, text: 'b2' },
			{ doc: 'order/c', seq: 1, text: 'c1' }
		];
		const { db, generation, generations, logs, live, sources, compactor, retirement, ...rest } =
			await setup(rows);
		// a is loaded again; c was compacted by the earlier run, which stopped before the drop
		logs.loaded('order/a', 2, 0);
		live.set('order/a', sources.get('order/a')!);
		db.collection('ydoc_snapshots').rows.set('order/c', {
			_id: 'order/c',
			update: new Binary(Y.encodeStateAsUpdate(sources.get('order/c')!)),
			mergedSeq: 1
		});
		db.calls.length = 0;
		retirement.retire(generation);
		await compactor.idle();
		expect(rest.snapshotOf('order/a')).toEqual({ mergedSeq: 2, events: ['a1', 'a2'] });
		expect(rest.snapshotOf('order/b')).toEqual({ mergedSeq: 2, events: ['b1', 'b2'] });
		expect(rest.snapshotOf('order/c')).toEqual({ mergedSeq: 1, events: ['c1'] });
		expect(db.calls).toEqual([
			'ydoc_snapshots replaceOne order/a',
			'ydoc_log_1 find',
			'ydoc_snapshots findOne order/b',
			'ydoc_snapshots replaceOne order/b',
			'ydoc_snapshots findOne order/c',
			'ydoc_log_1 drop'
		]);
		expect(generations.has(generation)).toBe(false);
		expect(await rest.counter('sync_compactions_from_memory_total')).toBe(1);
		expect(await rest.counter('sync_log_generations_dropped_total')).toBe(1);
	});

	it('keeps a generation that lacks a row it should hold, and tries again later', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout'] });
		const { db, generation, generations, compactor, retirement, snapshotOf, counter } = await setup(
			[
				{ doc: 'order/b', seq: 1, text: 'b1' },
				{ doc: 'order/b', seq: 2, text: 'b2' }
			]
		);
		const lost = db.collection('ydoc_log_1').rows.get('order/b#1')!;
		db.collection('ydoc_log_1').rows.delete('order/b#1');
		retirement.retire(generation);
		await compactor.idle();
		expect(await counter('sync_compaction_failures_total')).toBe(1);
		expect(snapshotOf('order/b')).toBeNull();
		expect(generations.has(generation)).toBe(true);

		db.collection('ydoc_log_1').rows.set('order/b#1', lost);
		await vi.advanceTimersByTimeAsync(30_000);
		await compactor.idle();
		expect(snapshotOf('order/b')).toEqual({ mergedSeq: 2, events: ['b1', 'b2'] });
		expect(generations.has(generation)).toBe(false);
	});

	it('stops between documents when the storage winds down, keeping the generation for the next start', async () => {
		const { generation, generations, compactor, retirement, snapshotOf } = await setup([
			{ doc: 'order/a', seq: 1, text: 'a1' }
		]);
		compactor.windDown();
		retirement.retire(generation);
		await compactor.idle();
		expect(snapshotOf('order/a')).toBeNull();
		expect(generations.has(generation)).toBe(true);
	});
});
