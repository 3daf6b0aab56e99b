// Fixed-window rate limits kept in MongoDB so they hold across processes and restarts. Each hit
// is one atomic upsert with $inc on the window's counter document; old windows are pruned now
// and then (no TTL indexes: FerretDB 1.24 lacks them).
import { MongoServerError } from 'mongodb';
import type { Collections } from '../db.ts';

export interface RateLimitResult {
	allowed: boolean;
	count: number;
	/** Seconds until the current window ends. */
	retryAfterSeconds: number;
}

const PRUNE_EVERY_MS = 60_000;
let lastPrune = 0;

export async function hitRateLimit(
	c: Collections,
	bucket: string,
	key: string,
	limit: number,
	windowSeconds: number,
	now = new Date()
): Promise<RateLimitResult> {
	const windowMs = windowSeconds * 1000;
	const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
	const windowEnd = windowStart + windowMs;
	const id = `${bucket}:${key}:${windowStart}`;
	const increment = () =>
		c.rateLimits.findOneAndUpdate(
			{ _id: id },
			{ $inc: { count: 1 }, $setOnInsert: { expiresAt: new Date(windowEnd) } },
			{ upsert: true, returnDocument: 'after' }
		);
	let doc;
	try {
		doc = await increment();
	} catch (err) {
		// Two first hits raced to insert the window's document; the loser increments the winner's.
		if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
		doc = await increment();
	}
	void pruneExpiredWindows(c, now);
	const count = doc?.count ?? 1;
	return {
		allowed: count <= limit,
		count,
		retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - now.getTime()) / 1000))
	};
}

/** Forgets one key's current window, e.g. an email's failed logins after a successful one. */
export async function resetRateLimit(
	c: Collections,
	bucket: string,
	key: string,
	windowSeconds: number,
	now = new Date()
): Promise<void> {
	const windowMs = windowSeconds * 1000;
	const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
	await c.rateLimits.deleteOne({ _id: `${bucket}:${key}:${windowStart}` });
}

async function pruneExpiredWindows(c: Collections, now: Date) {
	if (now.getTime() - lastPrune < PRUNE_EVERY_MS) return;
	lastPrune = now.getTime();
	try {
		await c.rateLimits.deleteMany({ expiresAt: { $lt: now } });
	} catch {
		// Pruning is housekeeping; the next hit tries again a minute later.
	}
}
