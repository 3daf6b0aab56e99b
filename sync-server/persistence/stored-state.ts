// A document's stored state read without the storage writer's bookkeeping: for processes that
// share documents and do not write the log themselves (scale-out/replication.ts). The rows are
// read before the snapshot: a row missing from its generation was merged into the snapshot before
// the generation was dropped, so the snapshot read afterwards has it.
import type { Collection, Db } from 'mongodb';
import type { DocSnapshotDoc } from '../../src/lib/shared/db.ts';
import { readLogRows } from './log-generations.ts';

/** The snapshot and the log rows after it, as updates (empty for a document never stored). */
export async function readStoredState(
	db: Db,
	snapshots: Collection<DocSnapshotDoc>,
	name: string
): Promise<Uint8Array[]> {
	const rows = await readLogRows(db, name);
	const snapshot = await snapshots.findOne({ _id: name });
	const mergedSeq = snapshot?.mergedSeq ?? 0;
	const parts: Uint8Array[] = [];
	if (snapshot) parts.push(new Uint8Array(snapshot.update.value()));
	for (const row of rows) if (row.seq > mergedSeq) parts.push(new Uint8Array(row.update.value()));
	return parts;
}
