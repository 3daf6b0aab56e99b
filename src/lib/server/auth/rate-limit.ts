// Rate limits kept in MongoDB so that they hold across web processes and restarts: sliding
// windows of numbered slots.
//
// A key allows `limit` counted attempts within any span of `windowSeconds`. A counted attempt
// takes one of the slots 1…limit and holds it with a row that lives for one window from the
// attempt (`expiresAt`); a slot is free when no live row holds it. So at any moment at most
// `limit` attempts of the last window count, with no boundary at which the count starts over.
//
// Rows are taken by unique inserts, which FerretDB 1.24 decides exactly (concurrent `$inc`
// upserts and conditional updates there lose or share writes: far more attempts got through than
// allowed). A row's `_id` is key:slot:bucket, the bucket being the multiple of the window's length
// in which it was taken: two attempts that read the same free slot in the same bucket insert the
// same `_id`, and one of them loses and reads again. A slot's live row can only be of the
// current bucket or the one before, and one of the current bucket is always live; so the one case
// the insert cannot decide is two attempts on either side of a bucket's start, and for that each
// attempt reads its slot once more after its insert and gives it back if another row holds it
// (of two such inserts at least one sees the other).
//
// Expired rows are pruned now and then in bounded batches (housekeeping.ts).
import { isDuplicateKeyError, type Collections, type RateLimitSlotDoc } from '../../shared/db.ts';
import { deleteBatch, PRUNE_BATCH, throttledPrune } from '../../shared/housekeeping.ts';

export interface SlotLimit {
	/** The row key, `${bucket}:${key}`, e.g. `login-email:ann@example.com`. */
	key: string;
	limit: number;
	windowSeconds: number;
}

export type Refusal = { allowed: false; retryAfterMs: number; reason: 'limit' | 'wait' };
export type Taken = { allowed: true; slotId: string };

/**
 * Takes a free slot of `limit.key` for an attempt at `now`, or says how long to wait. `gate` may
 * refuse first, given the live rows this attempt read (e.g. a wait after recent failures): an
 * attempt that takes a slot read every row taken before it, so a gate cannot be skipped by
 * concurrent attempts.
 */
export async function takeSlot(
	c: Collections,
	limit: SlotLimit,
	now: Date,
	gate?: (live: RateLimitSlotDoc[]) => Refusal | null
): Promise<Taken | Refusal> {
	const windowMs = limit.windowSeconds * 1000;
	const bucket = Math.floor(now.getTime() / windowMs) * windowMs;
	pruneSlotsSoon(c, now);
	// Each lost insert means another attempt took a slot meanwhile, so this ends after `limit` rounds.
	for (let round = 0; round <= limit.limit; round++) {
		const live = await liveRows(c, limit.key, now);
		if (live.length >= limit.limit) {
			// until enough of them have left the window for one slot to be free
			const expiries = live.map((row) => row.expiresAt.getTime()).sort((a, b) => a - b);
			const freeAt = expiries[live.length - limit.limit]!;
			return { allowed: false, reason: 'limit', retryAfterMs: freeAt - now.getTime() };
		}
		const refused = gate?.(live);
		if (refused) return refused;
		const held = new Set(live.map((row) => row.slot));
		let slot = 1;
		while (held.has(slot)) slot++;
		const row: RateLimitSlotDoc = {
			_id: `${limit.key}:${slot}:${bucket}`,
			key: limit.key,
			slot,
			at: now,
			expiresAt: new Date(now.getTime() + windowMs)
		};
		try {
			await c.rateLimitSlots.insertOne(row);
		} catch (err) {
			if (!isDuplicateKeyError(err)) throw err;
			continue;
		}
		// an attempt on the other side of a bucket's start may have taken the same slot
		const holders = await c.rateLimitSlots.countDocuments({
			key: limit.key,
			slot,
			expiresAt: { $gt: now }
		});
		if (holders === 1) return { allowed: true, slotId: row._id };
		await c.rateLimitSlots.deleteOne({ _id: row._id });
	}
	return { allowed: false, reason: 'wait', retryAfterMs: 1000 };
}

/** The rows of `key` that still count at `now`. */
function liveRows(c: Collections, key: string, now: Date): Promise<RateLimitSlotDoc[]> {
	return c.rateLimitSlots.find({ key, expiresAt: { $gt: now } }).toArray();
}

export type RateLimitResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts one request of `key` against `limit` per `windowSeconds` (e.g. mails sent); it stays counted. */
export async function hitRateLimit(
	c: Collections,
	bucket: string,
	key: string,
	limit: number,
	windowSeconds: number,
	now = new Date()
): Promise<RateLimitResult> {
	const taken = await takeSlot(c, { key: `${bucket}:${key}`, limit, windowSeconds }, now);
	if (taken.allowed) return { allowed: true };
	return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(taken.retryAfterMs / 1000)) };
}

const pruneSlotsSoon = throttledPrune((c, now) => pruneRateLimitSlots(c, now));

/**
 * Deletes up to `batch` rows that stopped counting by `now`; returns how many it deleted.
 * @internal for tests: tests/integration/auth-concurrency.test.ts
 */
export async function pruneRateLimitSlots(
	c: Collections,
	now = new Date(),
	batch = PRUNE_BATCH
): Promise<number> {
	return deleteBatch(c.rateLimitSlots, { expiresAt: { $lte: now } }, batch);
}
