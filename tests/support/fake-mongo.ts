// For the persistence's unit tests (sync-server/persistence/*.test.ts), which need the database
// to fail in ways a real one cannot be made to on demand: an in-memory stand-in for the few
// collection and database calls the persistence makes (lookups by `_id` or a list of them,
// inserts, replaces, whole-collection reads, drops), with a log of the calls and failures on
// demand; and the storage assembled over it (generations, doc logs, snapshots, a compactor) with
// documents whose updates append to their events.
import { Binary, type Collection, type Db, type Document } from 'mongodb';
import { Registry } from 'prom-client';
import * as Y from 'yjs';
import type { DocSnapshotDoc } from '../../src/lib/shared/db.ts';
import { createLogger } from '../../src/lib/shared/log.ts';
import { Compactor } from '../../sync-server/persistence/compaction.ts';
import { DocLogs } from '../../sync-server/persistence/doc-logs.ts';
import { LogGenerations, rowId } from '../../sync-server/persistence/log-generations.ts';
import { createPersistenceMetrics } from '../../sync-server/persistence/persistence-metrics.ts';

type Row = { _id: string } & Record<string, unknown>;

/** How the next call of an operation fails; `landed` (insertMany) stores rows before failing. */
export interface Failure {
	error?: Error;
	/** insertMany only: the ids stored before it fails (all of them when `true`). */
	landed?: string[] | true;
}

export class FakeCollection<T extends Row = Row> {
	readonly rows = new Map<string, T>();
	/** Every call, as `<operation>` or `<operation> <id>`. */
	readonly calls: string[] = [];
	exists = false;
	private readonly failures = new Map<string, Failure[]>();

	constructor(
		readonly name: string,
		/** Every call to any collection of the database, as `<collection> <call>`. */
		private readonly dbCalls: string[] = []
	) {}

	get collectionName(): string {
		return this.name;
	}

	/** The next call(s) of `operation` fail, one per failure given. */
	failNext(operation: string, ...failures: Failure[]): void {
		this.failures.set(operation, [...(this.failures.get(operation) ?? []), ...failures]);
	}

	async insertMany(docs: T[]): Promise<void> {
		this.call('insertMany');
		const failure = this.take('insertMany');
		if (failure) {
			for (const doc of docs) {
				if (failure.landed === true || failure.landed?.includes(doc._id)) this.put(doc);
			}
			throw failure.error ?? new Error('insertMany failed');
		}
		for (const doc of docs) {
			if (this.rows.has(doc._id)) throw Object.assign(new Error('duplicate key'), { code: 11000 });
		}
		for (const doc of docs) this.put(doc);
	}

	async findOne(filter: { _id: string }): Promise<T | null> {
		this.call(`findOne ${filter._id}`);
		const failure = this.take('findOne');
		if (failure) throw failure.error ?? new Error('findOne failed');
		return this.rows.get(filter._id) ?? null;
	}

	async replaceOne(filter: { _id: string }, doc: Omit<T, '_id'>): Promise<void> {
		this.call(`replaceOne ${filter._id}`);
		const failure = this.take('replaceOne');
		if (failure) throw failure.error ?? new Error('replaceOne failed');
		this.put({ ...doc, _id: filter._id } as T);
	}

	find(
		filter: { doc?: string; _id?: { $in: string[] } } = {}
	): AsyncIterable<T> & { toArray(): Promise<T[]> } {
		this.call('find');
		const failure = this.take('find');
		const matching = () => {
			if (failure) throw failure.error ?? new Error('find failed');
			return [...this.rows.values()].filter(
				(row) =>
					(!filter.doc || row.doc === filter.doc) &&
					(!filter._id || filter._id.$in.includes(row._id))
			);
		};
		return {
			async *[Symbol.asyncIterator]() {
				yield* matching();
			},
			toArray: async () => matching()
		};
	}

	async drop(): Promise<boolean> {
		this.call('drop');
		const failure = this.take('drop');
		if (failure) throw failure.error ?? new Error('drop failed');
		if (!this.exists)
			throw Object.assign(new Error('ns not found'), { codeName: 'NamespaceNotFound' });
		this.rows.clear();
		this.exists = false;
		return true;
	}

	as<C extends Document>(): Collection<C> {
		return this as unknown as Collection<C>;
	}

	private call(call: string): void {
		this.calls.push(call);
		this.dbCalls.push(`${this.name} ${call}`);
	}

	private put(doc: T): void {
		this.rows.set(doc._id, doc);
		this.exists = true;
	}

	private take(operation: string): Failure | undefined {
		return this.failures.get(operation)?.shift();
	}
}

export class FakeDb {
	readonly collections = new Map<string, FakeCollection>();
	/** Every call to any of its collections, in order, as `<collection> <call>`. */
	readonly calls: string[] = [];

	collection(name: string): FakeCollection {
		let collection = this.collections.get(name);
		if (!collection) {
			collection = new FakeCollection(name, this.calls);
			this.collections.set(name, collection);
		}
		return collection;
	}

	listCollections(): { toArray(): Promise<{ name: string }[]> } {
		const names = [...this.collections.values()].filter((c) => c.exists).map((c) => c.name);
		return { toArray: async () => names.map((name) => ({ name })) };
	}

	as(): Db {
		return this as unknown as Db;
	}
}

/** Documents whose every update appends one text to their `events` array. */
export class EventSources {
	readonly docs = new Map<string, Y.Doc>();

	/** Appends `text` to `name`'s events: the document's copy and the update that did it. */
	append(name: string, text: string): { source: Y.Doc; update: Uint8Array } {
		let source = this.docs.get(name);
		if (!source) this.docs.set(name, (source = new Y.Doc()));
		let update: Uint8Array | null = null;
		source.once('update', (u: Uint8Array) => (update = u));
		source.getArray<string>('events').push([text]);
		return { source, update: update! };
	}
}

/** A log row as the group commit writes it. */
export function logRow(doc: string, seq: number, update: Uint8Array) {
	return { _id: rowId(doc, seq), doc, seq, update: new Binary(update), at: new Date() };
}

/**
 * The storage over `db` as the persistence assembles it: its metrics, the log generations (those
 * in `db` discovered), the doc logs, the snapshots and a compactor that compacts the documents in
 * `live` from memory.
 */
export async function fakeStorage(db = new FakeDb(), label = 'storage-test') {
	const registry = new Registry();
	const metrics = createPersistenceMetrics(registry);
	const generations = new LogGenerations(
		db.as(),
		{ rows: 1_000, ageMs: 60_000, docRows: 1_000 },
		metrics.generationsDropped
	);
	const discovered = await generations.discover();
	const logs = new DocLogs();
	const snapshots = db.collection('ydoc_snapshots');
	const live = new Map<string, Y.Doc>();
	const compactor = new Compactor({
		logs,
		generations,
		snapshots: snapshots.as<DocSnapshotDoc>(),
		liveState: (name) => {
			const doc = live.get(name);
			return doc ? Y.encodeStateAsUpdate(doc) : null;
		},
		metrics,
		log: createLogger(label, 'silent')
	});
	/** A document's snapshot: what it merged and the events it holds; null before one. */
	const snapshotOf = (name: string) => {
		const snapshot = snapshots.rows.get(name);
		if (!snapshot) return null;
		const doc = new Y.Doc();
		Y.applyUpdate(doc, new Uint8Array((snapshot.update as Binary).value()));
		return { mergedSeq: snapshot.mergedSeq, events: doc.getArray('events').toArray() };
	};
	/** A metric's value, summed over its labels. */
	const counter = async (name: string) =>
		(await registry.getSingleMetric(name)!.get()).values.reduce((sum, v) => sum + v.value, 0);
	return { db, discovered, generations, logs, snapshots, live, compactor, snapshotOf, counter };
}
