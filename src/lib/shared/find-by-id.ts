// Lookups by `_id` batched per turn of the event loop. A reconnect storm makes thousands of them
// at once (every socket's session, its user, its order's people, every document's snapshot); each
// `findOne` is a round trip with its own share of driver and database work, while one
// `find({_id: {$in: ids}})` answers a whole batch through the same index (on FerretDB too: see
// scripts/db.sh). Built on DataLoader, with its cache off: callers keep their own caches, with
// their own expiry and invalidation.
import DataLoader from 'dataloader';
import type { Collection, Document, Filter, FindOptions } from 'mongodb';

/**
 * Ids per query: well inside what MongoDB and the patched FerretDB take in one `$in`.
 * @internal for tests: tests/integration/find-by-id.test.ts
 */
export const FIND_BY_ID_BATCH = 200;

export type FindById<T> = (id: string) => Promise<T | null>;

/**
 * `findOne({_id: id}, {projection})`, except that the calls made in one turn of the event loop
 * (up to `FIND_BY_ID_BATCH`) go to the database as one query. A failed query fails every call
 * of its batch.
 */
export function batchedFindById<T extends Document & { _id: string }>(
	collection: Collection<T>,
	options: { projection?: FindOptions['projection'] } = {}
): FindById<T> {
	const loader = new DataLoader<string, T | null>(
		async (ids) => {
			const unique = [...new Set(ids)];
			const filter = (
				unique.length === 1 ? { _id: unique[0] } : { _id: { $in: unique } }
			) as Filter<T>;
			// (ids are unique: with the limit the first reply holds every row and closes the cursor)
			const rows = (await collection
				.find(filter, {
					projection: options.projection,
					limit: unique.length,
					batchSize: unique.length
				})
				.toArray()) as unknown as T[];
			const byId = new Map(rows.map((row) => [row._id, row]));
			return ids.map((id) => byId.get(id) ?? null);
		},
		{
			cache: false,
			maxBatchSize: FIND_BY_ID_BATCH,
			// after every socket the event loop has ready (upgrades arrive one callback each)
			batchScheduleFn: (run) => setImmediate(run)
		}
	);
	return (id) => loader.load(id);
}
