import { Binary } from 'mongodb';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocSnapshotDoc } from '../../src/lib/shared/db.ts';
import { createLogger } from '../../src/lib/shared/log.ts';
import { DocLogs } from './doc-logs.ts';
import { FakeDb } from '../../tests/support/fake-mongo.ts';
import { GroupCommit } from './group-commit.ts';
import { LogGenerations, type Generation } from './log-generations.ts';
import { createPersistenceMetrics } from './persistence-metrics.ts';

const sources = new Map<string, Y.Doc>();

function setup(options: { docRows?: number; maxFlushAttempts?: number } = {}) {
	sources.clear();
	const db = new FakeDb();
	const snapshots = db.collection('ydoc_snapshots');
	const registry = new Registry();
	const metrics = createPersistenceMetrics(registry);
	const generations = new LogGenerations(
		db.as(),
		{ rows: 1_000, ageMs: 60_000, docRows: options.docRows ?? 1_000 },
		metrics.generationsDropped
	);
	const logs = new DocLogs();
	const retired: Generation[] = [];
	let opened: Promise<void> | null = null;
	const commit = new GroupCommit({
		logs,
		generations,
		snapshots: snapshots.as<DocSnapshotDoc>(),
		opened: () => (opened ??= generations.discover().then(() => undefined)),
		retirement: { retire: (generation) => retired.push(generation) },
		persistDelayMs: 0,
		minFlushIntervalMs: 0,
		maxFlushAttempts: options.maxFlushAttempts ?? 5,
		metrics,
		log: createLogger('group-commit-test', 'silent')
	});
	const counter = async (name: string) =>
		(await registry.getSingleMetric(name)!.get()).values.reduce((sum, v) => sum + v.value, 0);
	const generation = (n: number) => db.collection(`ydoc_log_${n}`);
	const store = (name: string, update: Uint8Array) => commit.queue(name, update).promise;
	return { commit, logs, generations, snapshots, retired, counter, generation, store };
}

/** An update of a document: one event appended to its `events`. */
function appendUpdate(name: string, text: string): Uint8Array {
	let source = sources.get(name);
	if (!source) sources.set(name, (source = new Y.Doc()));
	let captured: Uint8Array | null = null;
	const capture = (update: Uint8Array) => (captured = update);
	source.on('update', capture);
	source.getArray<string>('events').push([text]);
	source.off('update', capture);
	return captured!;
}

describe('GroupCommit', () => {
	it('writes one row per document with pending updates in one insertMany, numbered on from its log', async () => {
		const { store, snapshots, generation, counter } = setup();
		snapshots.rows.set('order/b', {
			_id: 'order/b',
			update: new Binary(new Uint8Array()),
			mergedSeq: 4
		});
		await Promise.all([
			store('order/a', appendUpdate('order/a', 'a1')),
			store('order/a', appendUpdate('order/a', 'a2')),
			store('order/b', appendUpdate('order/b', 'b1'))
		]);
		expect(generation(1).calls.filter((call) => call === 'insertMany')).toHaveLength(1);
		expect([...generation(1).rows.keys()]).toEqual(['order/a#1', 'order/b#5']);
		// where both logs stand (neither document was loaded): one query for both
		expect(snapshots.calls).toEqual(['find']);
		expect(await counter('sync_flushes_total')).toBe(1);
		expect(await counter('sync_log_entries_written_total')).toBe(2);

		await store('order/a', appendUpdate('order/a', 'a3'));
		expect([...generation(1).rows.keys()]).toEqual(['order/a#1', 'order/b#5', 'order/a#2']);
	});

	it('numbers a log on after rows a retirement merges while it reads where the log stands', async () => {
		const { store, snapshots, generations, generation } = setup();
		// an earlier run left rows 1–3 of order/d in generation 1; its snapshot merged none yet
		generation(1).exists = true;
		for (let seq = 1; seq <= 3; seq++) {
			generation(1).rows.set(`order/d#${seq}`, {
				_id: `order/d#${seq}`,
				doc: 'order/d',
				seq,
				update: new Binary(appendUpdate('order/d', `d${seq}`))
			});
		}
		snapshots.rows.set('order/d', {
			_id: 'order/d',
			update: new Binary(new Uint8Array()),
			mergedSeq: 0
		});
		// the retirement of generation 1 finishes while the snapshot read is on its way
		const read = snapshots.find.bind(snapshots);
		snapshots.find = ((...args: Parameters<typeof read>) => {
			const cursor = read(...args);
			return {
				...cursor,
				toArray: async () => {
					const found = structuredClone(await cursor.toArray());
					snapshots.rows.set('order/d', {
						_id: 'order/d',
						update: new Binary(new Uint8Array()),
						mergedSeq: 3
					});
					generations.merged('order/d', 3);
					return found;
				}
			};
		}) as typeof snapshots.find;
		await store('order/d', appendUpdate('order/d', 'd4'));
		expect([...generation(2).rows.keys()]).toEqual(['order/d#4']);
	});

	it('after a failed write, rows that landed settle; the others go back in front and are retried', async () => {
		const { commit, store, generation, counter } = setup();
		generation(1).failNext('insertMany', { landed: ['order/a#1'] });
		const settled: string[] = [];
		const a = commit.queue('order/a', appendUpdate('order/a', 'a'));
		a.stored.push(() => settled.push('journal a'));
		const b = commit.queue('order/b', appendUpdate('order/b', 'b'));
		b.stored.push(() => settled.push('journal b'));
		void b.promise.then(() => settled.push('b'));
		await a.promise;
		expect(settled).toEqual(['journal a']);
		expect(await counter('sync_store_failures_total')).toBe(1);
		// meanwhile, b gets another update: it goes out with the one put back, after the backoff
		const later = store('order/b', appendUpdate('order/b', 'b2'));
		await later;
		expect(settled).toEqual(['journal a', 'journal b', 'b']);
		const row = generation(1).rows.get('order/b#1')!;
		const stored = new Y.Doc();
		Y.applyUpdate(stored, new Uint8Array((row.update as Binary).value()));
		expect(stored.getArray('events').toArray()).toEqual(['b', 'b2']);
	});

	it('looks a write with an unknown outcome up before the next one, and numbers on after it', async () => {
		const { store, generation, counter } = setup();
		generation(1).failNext('insertMany', { landed: true });
		generation(1).failNext('findOne', {}); // and the lookup right after fails too
		await store('order/a', appendUpdate('order/a', 'a'));
		expect([...generation(1).rows.keys()]).toEqual(['order/a#1', 'order/a#2']);
		expect(generation(1).calls.filter((call) => call === 'findOne order/a#1')).toHaveLength(2);
		expect(await counter('sync_log_entries_written_total')).toBe(2);
	});

	it('drain gives up after maxFlushAttempts: the waiters are rejected, the updates counted as dropped', async () => {
		const { commit, logs, generation, counter } = setup({ maxFlushAttempts: 2 });
		for (let i = 0; i < 10; i++) generation(1).failNext('insertMany', {});
		const stored = commit.queue('order/a', appendUpdate('order/a', 'a')).promise;
		const outcome = stored.then(
			() => 'stored',
			(error: Error) => error.message
		);
		await commit.drain([logs.get('order/a')!]);
		expect(await outcome).toBe('could not store 1 update(s) of order/a');
		expect(await counter('sync_store_dropped_updates_total')).toBe(1);
		expect(logs.get('order/a')!.pending).toEqual([]);
		expect(generation(1).rows.size).toBe(0);
	});

	it('closes the generation between writes once a document has docRows rows in it', async () => {
		const { store, retired, generations, generation } = setup({ docRows: 2 });
		await store('order/a', appendUpdate('order/a', 'a1'));
		await store('order/b', appendUpdate('order/b', 'b1'));
		expect(retired).toEqual([]);
		await store('order/a', appendUpdate('order/a', 'a2'));
		expect(retired.map((g) => g.number)).toEqual([1]);
		expect(generations.current.number).toBe(2);
		await store('order/a', appendUpdate('order/a', 'a3'));
		expect([...generation(2).rows.keys()]).toEqual(['order/a#3']);
	});

	it('close() writes what is pending, then schedules nothing more', async () => {
		const { commit, generation } = setup();
		const stored = commit.queue('order/a', appendUpdate('order/a', 'a')).promise;
		await commit.close();
		await stored;
		expect(commit.closed).toBe(true);
		expect([...generation(1).rows.keys()]).toEqual(['order/a#1']);
	});
});
