// A document's stored state read without the storage writer's bookkeeping: for processes that
// share documents and do not write the log themselves (scale-out/replication.ts). Only lookups
// by `_id` (cheap on MongoDB and on FerretDB, where any other query reads its whole collection):
// the snapshot, then the rows after it, whose sequence numbers run on without a gap from the
// snapshot's `mergedSeq` (`<doc>#<seq>`), asked of every generation a window at a time. A
// compaction in between (rows merged, their generation dropped) shows as a new `mergedSeq` when
// the snapshot is looked at again: then it is all read again. What a write has not finished
// yet is still in the shared log, which the caller reads first.
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

/** The snapshot and the log rows after it, as updates. */
export async function readStoredState(
	db: Db,
	snapshots: Collection<DocSnapshotDoc>,
	name: string,
	findSnapshot: FindById<DocSnapshotDoc> = (id) => snapshots.findOne({ _id: id }),
	/**
	 * How far the log goes, when the storage writer recorded it (read before this is called), or
	 * null: then the rows are looked for until one is missing.
	 */
	tail: number | null = null
): Promise<StoredState> {
	for (let attempt = 1; ; attempt++) {
		const snapshot = await findSnapshot(name);
		const mergedSeq = snapshot?.mergedSeq ?? 0;
		// a snapshot that has every row: nothing else to read (and no compaction can take a row
		// this read needs)
		if (tail !== null && tail <= mergedSeq) {
			return { updates: snapshot ? [bytesOf(snapshot.update)] : [], seq: mergedSeq };
		}
		const generations = (await generationNumbers(db)).map((n) => logGeneration(db, n));
		const rows: Uint8Array[] = [];
		let seq = mergedSeq;
		for (let next = mergedSeq + 1; generations.length > 0; next += WINDOW) {
			const ids = Array.from({ length: WINDOW }, (_, i) => rowId(name, next + i));
			const found = await Promise.all(
				generations.map((generation) =>
					generation
						.find({ _id: { $in: ids } })
						.toArray()
						// dropped (drained) after it was listed: FerretDB fails the read where MongoDB
						// answers nothing; the snapshot's check below tells whether that mattered
						.catch(() => [])
				)
			);
			const seqs = new Set<number>();
			for (const row of found.flat()) {
				seqs.add(row.seq);
				seq = Math.max(seq, row.seq);
				rows.push(bytesOf(row.update));
			}
			if (seqs.size < WINDOW) break;
		}
		const after = await snapshots.findOne({ _id: name }, { projection: { mergedSeq: 1 } });
		if ((after?.mergedSeq ?? 0) === mergedSeq) {
			return { updates: snapshot ? [bytesOf(snapshot.update), ...rows] : rows, seq };
		}
		if (attempt >= ATTEMPTS) throw new Error(`${name} kept being compacted while it loaded`);
	}
}
