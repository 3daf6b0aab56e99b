// A document's stored state read without the storage writer's bookkeeping: for processes that
// share documents and do not write the log themselves (scale-out/replication.ts). Only lookups
// by `_id` (cheap on MongoDB and on FerretDB, where any other query reads its whole collection):
// the snapshot, then the rows after it, whose sequence numbers run on without a gap from the
// snapshot's `mergedSeq` (`<doc>#<seq>`). What a write has not finished yet is still in the
// shared log, which the caller reads first.
//
// With the log's tail known (the storage writer records it in Redis), the rows up to it are
// asked of the generations as last listed, and if every one of them is there the read is done: a
// snapshot plus every row up to the tail is the whole stored state, whatever a compaction did
// meanwhile. Otherwise (no tail, a generation opened since the listing, rows merged and their
// generation dropped while this read) it takes the long way: the generations listed afresh, the
// rows asked a window at a time until one is missing, and the snapshot looked at again, all of
// it read again if a compaction moved its `mergedSeq`.
import type { Binary, Collection, Db } from 'mongodb';
import { logGeneration, type DocSnapshotDoc } from '../../src/lib/shared/db.ts';
import type { FindById } from '../../src/lib/shared/find-by-id.ts';
import { generationNumbers, rowId } from './log-generations.ts';

/** Row ids asked of each generation at once. */
const WINDOW = 32;
const ATTEMPTS = 5;

const bytesOf = (binary: Binary) => new Uint8Array(binary.value());

export interface StoredState {
	/** The snapshot and the log rows after it (none for a document never stored). */
	updates: Uint8Array[];
	/** The highest sequence number they cover: the log's tail, as far as this read saw it. */
	seq: number;
}

/** How long a listing of the log generations is used by reads that know the tail. */
const GENERATIONS_TTL_MS = 10_000;
/** More rows than this between snapshot and tail: the long way, a window at a time. */
const MAX_ROWS_AT_ONCE = 256;

export class StoredStateReader {
	private listed: { numbers: Promise<number[]>; at: number } | null = null;

	constructor(
		private readonly db: Db,
		private readonly snapshots: Collection<DocSnapshotDoc>,
		private readonly findSnapshot: FindById<DocSnapshotDoc> = (id) => snapshots.findOne({ _id: id })
	) {}

	/**
	 * The snapshot and the log rows after it, as updates. `tail`: how far the log goes, when the
	 * storage writer recorded it (read before this is called), or null: then the rows are looked
	 * for until one is missing.
	 */
	async read(name: string, tail: number | null = null): Promise<StoredState> {
		let snapshot: DocSnapshotDoc | null | undefined;
		if (tail !== null) {
			snapshot = await this.findSnapshot(name);
			const mergedSeq = snapshot?.mergedSeq ?? 0;
			const head = snapshot ? [bytesOf(snapshot.update)] : [];
			// a snapshot that has every row: nothing else to read
			if (tail <= mergedSeq) return { updates: head, seq: mergedSeq };
			if (tail - mergedSeq <= MAX_ROWS_AT_ONCE) {
				const rows = await this.rowsUpTo(name, mergedSeq, tail);
				if (rows) return { updates: [...head, ...rows], seq: tail };
			}
		}
		return this.readTheLongWay(name, snapshot);
	}

	/** Every row after `mergedSeq` up to `tail`, in order, or null if one is not where it was. */
	private async rowsUpTo(name: string, mergedSeq: number, tail: number) {
		const ids = Array.from({ length: tail - mergedSeq }, (_, i) => rowId(name, mergedSeq + 1 + i));
		const bySeq = new Map<number, Binary>();
		for (const row of await this.findRows(await this.generationNumbers(), ids)) {
			bySeq.set(row.seq, row.update);
		}
		if (bySeq.size !== ids.length) return null;
		return [...bySeq.entries()].sort(([a], [b]) => a - b).map(([, update]) => bytesOf(update));
	}

	/** The rows with these ids in any of these generations. */
	private async findRows(generations: number[], ids: string[]) {
		const found = await Promise.all(
			generations.map((n) =>
				logGeneration(this.db, n)
					.find({ _id: { $in: ids } })
					.toArray()
					// dropped (drained) after it was listed: FerretDB fails the read where MongoDB
					// answers nothing; the caller's check of what it found tells whether that mattered
					.catch(() => [])
			)
		);
		return found.flat();
	}

	private generationNumbers(): Promise<number[]> {
		const now = Date.now();
		if (!this.listed || now - this.listed.at >= GENERATIONS_TTL_MS) {
			const numbers = generationNumbers(this.db);
			this.listed = { numbers, at: now };
			numbers.catch(() => (this.listed = null));
		}
		return this.listed.numbers;
	}

	/** `first`: the snapshot as the caller just read it, if it did (used by the first attempt). */
	private async readTheLongWay(
		name: string,
		first: DocSnapshotDoc | null | undefined
	): Promise<StoredState> {
		for (let attempt = 1; ; attempt++) {
			const snapshot = attempt === 1 && first !== undefined ? first : await this.findSnapshot(name);
			const mergedSeq = snapshot?.mergedSeq ?? 0;
			const numbers = await generationNumbers(this.db);
			this.listed = { numbers: Promise.resolve(numbers), at: Date.now() };
			const rows: Uint8Array[] = [];
			let seq = mergedSeq;
			for (let next = mergedSeq + 1; numbers.length > 0; next += WINDOW) {
				const ids = Array.from({ length: WINDOW }, (_, i) => rowId(name, next + i));
				const seqs = new Set<number>();
				for (const row of await this.findRows(numbers, ids)) {
					seqs.add(row.seq);
					seq = Math.max(seq, row.seq);
					rows.push(bytesOf(row.update));
				}
				if (seqs.size < WINDOW) break;
			}
			const after = await this.snapshots.findOne({ _id: name }, { projection: { mergedSeq: 1 } });
			if ((after?.mergedSeq ?? 0) === mergedSeq) {
				return { updates: snapshot ? [bytesOf(snapshot.update), ...rows] : rows, seq };
			}
			if (attempt >= ATTEMPTS) throw new Error(`${name} kept being compacted while it loaded`);
		}
	}
}
