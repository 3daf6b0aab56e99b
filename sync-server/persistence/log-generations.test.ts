import { Binary } from 'mongodb';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FakeDb } from '../../tests/support/fake-mongo.ts';
import {
	LogGenerations,
	MissingRowError,
	rowId,
	type GenerationLimits
} from './log-generations.ts';

const row = (doc: string, seq: number) => ({
	_id: rowId(doc, seq),
	doc,
	seq,
	update: new Binary(new Uint8Array([seq])),
	at: new Date()
});

async function open(limits: Partial<GenerationLimits> = {}, db = new FakeDb()) {
	const dropped = new Counter({ name: 'dropped', help: 'dropped', registers: [new Registry()] });
	const generations = new LogGenerations(
		db.as(),
		{ rows: 100, ageMs: 60_000, docRows: 50, ...limits },
		dropped
	);
	const earlier = await generations.discover();
	return { generations, earlier, db, dropped: async () => (await dropped.get()).values[0]!.value };
}

describe('LogGenerations', () => {
	it('finds what earlier runs left, and opens the next generation for this run', async () => {
		const db = new FakeDb();
		await db.collection('ydoc_log_3').insertMany([row('a', 1), row('a', 2), row('b', 1)]);
		await db.collection('ydoc_log_5').insertMany([row('a', 3)]);
		await db.collection('unrelated').insertMany([row('a', 9)]);
		const { generations, earlier } = await open({}, db);
		expect(earlier.map((g) => g.number)).toEqual([3, 5]);
		expect(earlier[0]!.unmerged).toEqual(
			new Map([
				['a', 2],
				['b', 1]
			])
		);
		expect(earlier[0]!.rows).toBe(3);
		expect(generations.current.number).toBe(6);
		expect(generations.lastSeq('a')).toBe(3);
		expect(generations.locate('a', 1, 3).map((p) => [p.generation.number, p.seq])).toEqual([
			[3, 2],
			[5, 3]
		]);
	});

	it('closes the current generation when full, old, or one document has docRows rows in it', async () => {
		const { generations } = await open({ rows: 3, ageMs: 1_000, docRows: 2 });
		const start = generations.current.openedAt;
		expect(generations.closeIfDue(start + 5_000)).toBeNull(); // never an empty one
		generations.written('a', 1);
		expect(generations.closeIfDue(start)).toBeNull();
		expect(generations.closeIfDue(start + 1_000)?.number).toBe(1); // old

		generations.written('a', 2);
		generations.written('b', 1);
		expect(generations.closeWanted).toBe(false);
		generations.written('a', 3); // a's second row here: asks for a close
		expect(generations.closeWanted).toBe(true);
		const closed = generations.closeIfDue(generations.current.openedAt);
		expect(closed?.number).toBe(2);
		expect(generations.closeWanted).toBe(false);

		generations.written('a', 4);
		generations.written('b', 2);
		generations.written('c', 1); // full
		expect(generations.closeIfDue(generations.current.openedAt)?.number).toBe(3);
		expect(generations.current.number).toBe(4);
	});

	it('reads the rows after a position from the generations that hold them; a missing one is damage', async () => {
		const { generations, db } = await open();
		const first = generations.current;
		for (const seq of [1, 2]) generations.written('a', seq);
		await db.collection(first.collection.collectionName).insertMany([row('a', 1), row('a', 2)]);
		generations.rotate();
		generations.written('a', 3);
		await db.collection(generations.current.collection.collectionName).insertMany([row('a', 3)]);
		expect((await generations.readRows('a', 1, 3)).map((r) => r._id)).toEqual(['a#2', 'a#3']);

		db.collection(first.collection.collectionName).rows.delete('a#2');
		await expect(generations.readRows('a', 0, 3)).rejects.toThrow(MissingRowError);
		await expect(generations.readRows('a', 0, 4)).rejects.toThrow('log row a#1 is missing');
	});

	it('drops closed generations once everything in them is merged, never the current one', async () => {
		const { generations, db, dropped } = await open();
		const first = generations.current;
		generations.written('a', 1);
		generations.written('b', 1);
		await db.collection(first.collection.collectionName).insertMany([row('a', 1), row('b', 1)]);
		generations.rotate();
		generations.written('a', 2);

		generations.merged('a', 1);
		await generations.dropDrained();
		expect(generations.has(first)).toBe(true); // b is not merged yet
		generations.merged('b', 1);
		generations.merged('a', 2);
		await generations.dropDrained();
		expect(generations.has(first)).toBe(false);
		expect(db.collection(first.collection.collectionName).exists).toBe(false);
		expect(generations.current.number).toBe(2);
		expect(await dropped()).toBe(1);
	});

	it('takes a generation already gone as dropped', async () => {
		const { generations, dropped } = await open();
		generations.written('a', 1); // counted, but never stored
		generations.rotate();
		generations.merged('a', 1);
		await generations.dropDrained();
		expect(await dropped()).toBe(1);
	});
});
