// For unit tests: an in-memory stand-in for the few collection and database calls the
// persistence makes (lookups by `_id`, inserts, replaces, whole-collection reads, drops), with a
// log of the calls and failures on demand.
import type { Collection, Db, Document } from 'mongodb';

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

	find(filter: { doc?: string } = {}): AsyncIterable<T> & { toArray(): Promise<T[]> } {
		this.call('find');
		const failure = this.take('find');
		const matching = () => {
			if (failure) throw failure.error ?? new Error('find failed');
			return [...this.rows.values()].filter((row) => !filter.doc || row.doc === filter.doc);
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
