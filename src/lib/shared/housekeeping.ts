// Rows that only age out (expired sessions, one-time tokens and their use records, rate-limit
// windows) are pruned by the code that writes rows of that kind: FerretDB 1.24 has no TTL indexes,
// so the code uses none. A prune runs in the background, at most once a minute per process and database,
// deletes a bounded batch, and never fails the request that started it.
import type { Collection, Filter } from 'mongodb';
import type { Collections } from './db.ts';

/** How often one process prunes one kind of row in one database. */
const PRUNE_EVERY_MS = 60_000;
/** Rows one prune deletes at most (of each collection it looks at). */
export const PRUNE_BATCH = 1_000;

/** Prunes one batch (of each collection it looks at); returns the most rows deleted from one. */
export type Prune = (c: Collections, now: Date) => Promise<number>;

/**
 * Returns `soon(c, now)`: starts `prune` unless it ran for this database within `everyMs` or is
 * running. A full batch (`PRUNE_BATCH` rows) lets the next call prune again at once instead of a
 * minute later.
 */
export function throttledPrune(prune: Prune, everyMs = PRUNE_EVERY_MS) {
	const state = new WeakMap<Collections, { last: number; running: boolean }>();
	return (c: Collections, now = new Date()): void => {
		let entry = state.get(c);
		if (entry === undefined) state.set(c, (entry = { last: -Infinity, running: false }));
		if (entry.running || now.getTime() - entry.last < everyMs) return;
		const current = entry;
		current.running = true;
		current.last = now.getTime();
		prune(c, now)
			.then((deleted) => {
				if (deleted >= PRUNE_BATCH) current.last = -Infinity;
			})
			// housekeeping: a later call tries again
			.catch(() => undefined)
			.finally(() => {
				current.running = false;
			});
	};
}

/**
 * Deletes up to `batch` rows of `collection` that match `expired`, by `_id` (FerretDB 1.24 has no
 * limit on deleteMany); returns how many it deleted.
 */
export async function deleteBatch<T extends { _id: string }>(
	collection: Collection<T>,
	expired: Filter<T>,
	batch = PRUNE_BATCH
): Promise<number> {
	const rows = await collection
		.find(expired, { projection: { _id: 1 } })
		.limit(batch)
		.toArray();
	if (rows.length === 0) return 0;
	const { deletedCount } = await collection.deleteMany({
		_id: { $in: rows.map((row) => row._id) }
	} as Filter<T>);
	return deletedCount;
}
