// Where the update log's rows are. Rows go into the newest generation collection (`ydoc_log_<n>`);
// a full or old generation is closed, its documents are compacted into their snapshots, and then it
// is dropped whole. So the log is only ever inserted into and dropped: on FerretDB 1.24 (SQLite)
// every query, update and delete reads its whole collection, while inserts and drops do not grow
// with the data (docs/performance.md). This bookkeeping is in memory: the log has one writer, the
// only sync-server process or the storage writer of several (scale-out/storage-writer.ts).
//
// The current generation is closed when it holds `rows` rows, is `ageMs` old, or one document
// has `docRows` rows in it: a busy document is compacted with its whole generation, since
// closing it early costs one read of the generation where compacting the document alone reads
// row by row. Closing happens only between writes (group-commit.ts); what happens to a closed
// generation is retirement.ts.
import type { Collection, Db } from 'mongodb';
import type { Counter } from 'prom-client';
import {
	LOG_GENERATION_PREFIX,
	logGeneration,
	type DocLogRowDoc
} from '../../src/lib/shared/db.ts';

export const rowId = (doc: string, seq: number) => `${doc}#${seq}`;

/** A row the bookkeeping expects is not in the database (or was merged and dropped meanwhile). */
export class MissingRowError extends Error {
	constructor(id: string) {
		super(`log row ${id} is missing`);
	}
}

export async function generationNumbers(db: Db): Promise<number[]> {
	const names = await db.listCollections({}, { nameOnly: true }).toArray();
	return names
		.map((c) => c.name)
		.filter((name) => name.startsWith(LOG_GENERATION_PREFIX))
		.map((name) => Number(name.slice(LOG_GENERATION_PREFIX.length)))
		.filter((n) => Number.isSafeInteger(n) && n > 0)
		.sort((a, b) => a - b);
}

/**
 * Every log row of a document, merged or not, in order (tools and benchmarks; scans the log).
 * @internal for the benchmark: bench/extras/lifecycle.ts
 */
export async function readLogRows(db: Db, doc: string): Promise<DocLogRowDoc[]> {
	const rows: DocLogRowDoc[] = [];
	for (const number of await generationNumbers(db)) {
		try {
			rows.push(...(await logGeneration(db, number).find({ doc }).toArray()));
		} catch (error) {
			// dropped (drained) after it was listed: FerretDB fails the read where MongoDB answers
			// nothing; a generation that is still there failed for another reason
			if ((await generationNumbers(db)).includes(number)) throw error;
		}
	}
	return rows.sort((a, b) => a.seq - b.seq);
}

export interface Generation {
	readonly number: number;
	readonly collection: Collection<DocLogRowDoc>;
	/** Per document, the highest sequence number in this generation that may not be merged yet. */
	readonly unmerged: Map<string, number>;
	/** Rows written here this run, per document. */
	readonly rowsOf: Map<string, number>;
	rows: number;
	readonly openedAt: number;
}

export interface GenerationLimits {
	/** Rows after which the current generation is closed. */
	rows: number;
	/** Age after which a generation with rows is closed. */
	ageMs: number;
	/** Rows of one document in the current generation that close it. */
	docRows: number;
}

export class LogGenerations {
	/** Oldest first; the last one is the generation being written. */
	private readonly list: Generation[] = [];
	/** A document has `docRows` rows in the current generation: close it at the next chance. */
	private closeRequested = false;

	constructor(
		private readonly db: Db,
		private readonly limits: GenerationLimits,
		/** Counts the generations dropped. */
		private readonly dropped: Counter
	) {}

	/**
	 * Reads what earlier runs left (one pass over each generation) and opens a new generation for
	 * this run. Returns the earlier generations, oldest first: they are to be retired.
	 */
	async discover(): Promise<Generation[]> {
		const numbers = await generationNumbers(this.db);
		for (const number of numbers) {
			const generation = this.make(number);
			const rows = generation.collection.find({}, { projection: { doc: 1, seq: 1 } });
			for await (const row of rows) {
				generation.rows++;
				if (typeof row.doc !== 'string' || typeof row.seq !== 'number') continue;
				generation.unmerged.set(row.doc, Math.max(generation.unmerged.get(row.doc) ?? 0, row.seq));
			}
			this.list.push(generation);
		}
		this.list.push(this.make((numbers.at(-1) ?? 0) + 1));
		return this.list.slice(0, -1);
	}

	get current(): Generation {
		const current = this.list.at(-1);
		if (!current) throw new Error('log generations are not open yet');
		return current;
	}

	/** Closes the current generation and opens the next; returns the closed one. */
	rotate(): Generation {
		const closed = this.current;
		this.list.push(this.make(closed.number + 1));
		return closed;
	}

	/** Whether a document asked for the current generation to be closed. */
	get closeWanted(): boolean {
		return this.closeRequested;
	}

	/** Closes the current generation if it is due; returns the closed one, or null. */
	closeIfDue(now: number): Generation | null {
		const current = this.current;
		if (current.rows === 0) return null;
		const due =
			this.closeRequested ||
			current.rows >= this.limits.rows ||
			now - current.openedAt >= this.limits.ageMs;
		if (!due) return null;
		this.closeRequested = false;
		return this.rotate();
	}

	/** A row was written (to the current generation unless said). */
	written(doc: string, seq: number, generation: Generation = this.current): void {
		generation.rows++;
		generation.unmerged.set(doc, Math.max(generation.unmerged.get(doc) ?? 0, seq));
		const rows = (generation.rowsOf.get(doc) ?? 0) + 1;
		generation.rowsOf.set(doc, rows);
		if (rows >= this.limits.docRows) this.closeRequested = true;
	}

	/** The highest sequence number of a document in any generation (0 if none). */
	lastSeq(doc: string): number {
		let last = 0;
		for (const generation of this.list) last = Math.max(last, generation.unmerged.get(doc) ?? 0);
		return last;
	}

	/**
	 * Where the rows `(after, upTo]` of a document are. Sequence numbers grow with time and so do
	 * generations: a row is in the oldest generation whose highest number for it is not below it.
	 */
	locate(doc: string, after: number, upTo: number): { generation: Generation; seq: number }[] {
		const holders = this.list.filter((g) => (g.unmerged.get(doc) ?? 0) > after);
		const found: { generation: Generation; seq: number }[] = [];
		let h = 0;
		for (let seq = after + 1; seq <= upTo; seq++) {
			while (h < holders.length && holders[h]!.unmerged.get(doc)! < seq) h++;
			const generation = holders[h];
			if (!generation) throw new Error(`log row ${rowId(doc, seq)} is in no generation`);
			found.push({ generation, seq });
		}
		return found;
	}

	/** The log rows `(after, upTo]` of a document, in order. A missing row is damage: it throws. */
	async readRows(doc: string, after: number, upTo: number): Promise<DocLogRowDoc[]> {
		let places;
		try {
			places = this.locate(doc, after, upTo);
		} catch {
			// merged into a snapshot since `upTo` was taken: the caller reads the snapshot again
			throw new MissingRowError(rowId(doc, after + 1));
		}
		return Promise.all(
			places.map(async ({ generation, seq }) => {
				const row = await generation.collection.findOne({ _id: rowId(doc, seq) });
				if (!row) throw new MissingRowError(rowId(doc, seq));
				return row;
			})
		);
	}

	/** Everything of `doc` up to `upTo` is in its snapshot. */
	merged(doc: string, upTo: number): void {
		for (const generation of this.list) {
			const highest = generation.unmerged.get(doc);
			if (highest !== undefined && highest <= upTo) generation.unmerged.delete(doc);
		}
	}

	/** Drops the closed generations with nothing left to merge. */
	async dropDrained(): Promise<void> {
		for (const generation of this.list.slice(0, -1).filter((g) => g.unmerged.size === 0)) {
			await generation.collection.drop().catch((error: unknown) => {
				// already gone (never written, or dropped by an earlier attempt) is fine
				if ((error as { codeName?: string }).codeName !== 'NamespaceNotFound') throw error;
			});
			const index = this.list.indexOf(generation);
			if (index >= 0 && index < this.list.length - 1) this.list.splice(index, 1);
			this.dropped.inc();
		}
	}

	has(generation: Generation): boolean {
		return this.list.includes(generation);
	}

	private make(number: number): Generation {
		return {
			number,
			collection: logGeneration(this.db, number),
			unmerged: new Map(),
			rowsOf: new Map(),
			rows: 0,
			openedAt: Date.now()
		};
	}
}
