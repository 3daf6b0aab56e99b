// Fixed-window rate limits kept in MongoDB so they hold across processes and restarts.
//
// A window allows `limit` attempts, and each counted attempt takes one numbered slot in it with a
// unique insert (`rate_limit_slots`, `_id` = key:window:slot): a slot is taken by exactly one
// attempt, so concurrent attempts can neither share one nor lose a count, and a window never
// holds more than `limit` rows. An `$inc` counter would be simpler, but on FerretDB 1.24 concurrent
// upserts with `$inc` lose increments (measured: far more attempts got through than allowed).
// Expired windows are pruned now and then in bounded batches (housekeeping.ts).
import { isDuplicateKeyError, type Collections } from '../../shared/db.ts';
import { deleteBatch, PRUNE_BATCH, throttledPrune } from '../../shared/housekeeping.ts';

export interface RateLimitResult {
	allowed: boolean;
	/** Attempts counted in the current window as this call saw them, this one included if allowed. */
	count: number;
	/** Seconds until the current window ends. */
	retryAfterSeconds: number;
}

interface Window {
	key: string;
	start: Date;
	end: Date;
}

function windowOf(bucket: string, key: string, windowSeconds: number, now: Date): Window {
	const windowMs = windowSeconds * 1000;
	const start = Math.floor(now.getTime() / windowMs) * windowMs;
	return { key: `${bucket}:${key}`, start: new Date(start), end: new Date(start + windowMs) };
}

export async function hitRateLimit(
	c: Collections,
	bucket: string,
	key: string,
	limit: number,
	windowSeconds: number,
	now = new Date()
): Promise<RateLimitResult> {
	const window = windowOf(bucket, key, windowSeconds, now);
	const retryAfterSeconds = Math.max(1, Math.ceil((window.end.getTime() - now.getTime()) / 1000));
	pruneSlotsSoon(c, now);
	const taken = await c.rateLimitSlots.countDocuments({
		key: window.key,
		windowStart: window.start
	});
	if (taken < limit) {
		for (const slot of slotsToTry(taken, limit)) {
			if (await takeSlot(c, window, slot)) {
				return { allowed: true, count: taken + 1, retryAfterSeconds };
			}
		}
	}
	return { allowed: false, count: Math.max(taken, limit), retryAfterSeconds };
}

/**
 * The slots after the ones already counted first (the free ones, unless others are taking them
 * right now), then the lower ones, which a reset racing with this attempt may have freed.
 */
function slotsToTry(taken: number, limit: number): number[] {
	const slots: number[] = [];
	for (let n = taken + 1; n <= limit; n++) slots.push(n);
	for (let n = 1; n <= taken; n++) slots.push(n);
	return slots;
}

async function takeSlot(c: Collections, window: Window, slot: number): Promise<boolean> {
	try {
		await c.rateLimitSlots.insertOne({
			_id: `${window.key}:${window.start.getTime()}:${slot}`,
			key: window.key,
			windowStart: window.start,
			slot,
			expiresAt: window.end
		});
		return true;
	} catch (err) {
		if (isDuplicateKeyError(err)) return false;
		throw err;
	}
}

const pruneSlotsSoon = throttledPrune((c, now) => pruneRateLimitSlots(c, now));

/** Deletes up to `batch` slots of windows that ended by `now`; returns how many it deleted. */
export async function pruneRateLimitSlots(
	c: Collections,
	now = new Date(),
	batch = PRUNE_BATCH
): Promise<number> {
	return deleteBatch(c.rateLimitSlots, { expiresAt: { $lte: now } }, batch);
}
