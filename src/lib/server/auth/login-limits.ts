// Limits on failed logins, kept in MongoDB so that every web process gives the same answers.
//
// Only failures count. An attempt takes a numbered slot of its key's window (per address, per
// account) with a unique insert *before* the password is checked, so that concurrent attempts can
// never check more passwords than the limit allows; a failure keeps its slot, a success gives it
// back (and clears the account's window). So successful logins never use up an address's limit,
// and 200 people behind one address log in as well as one.
//
// Per account, failures also make the next attempt wait: the first `freeFailures` cost nothing,
// then each attempt must come at least 1, 2, 4 … × `delayMs` after the previous one (an attempt
// still being checked counts as a failure until it succeeds). The wait is checked against the
// slots the attempt read, and a slot is taken only by the attempt whose read held every slot
// below it (two attempts that read the same slots go for the same number and one of them loses
// the insert and reads again), so concurrent attempts cannot skip a wait either.
//
// FerretDB 1.24 lets concurrent `$inc` upserts and conditional updates lose or share writes;
// unique inserts it decides exactly (docs/orders.md), which is why the slots are rows.
import { isDuplicateKeyError, type Collections, type RateLimitSlotDoc } from '../../shared/db.ts';
import { throttledPrune } from '../../shared/housekeeping.ts';
import { pruneRateLimitSlots } from './rate-limit.ts';

export interface FailureLimit {
	/** Names the kind of key, e.g. `login-ip`; rows are keyed `${bucket}:${key}`. */
	bucket: string;
	/** Failed (or still running) attempts a window holds at most. */
	limit: number;
	windowSeconds: number;
	/** Failures before the waits start; Infinity for none. */
	freeFailures: number;
	/** The first wait; each further failure doubles it, up to `maxDelayMs`. */
	delayMs: number;
	maxDelayMs: number;
}

export type Refusal = { allowed: false; retryAfterMs: number; reason: 'limit' | 'wait' };
export type Attempt = { allowed: true; slotId: string; windowKey: string };

interface Window {
	key: string;
	start: Date;
	end: Date;
}

function windowOf(limit: FailureLimit, key: string, now: Date): Window {
	const windowMs = limit.windowSeconds * 1000;
	const start = Math.floor(now.getTime() / windowMs) * windowMs;
	return { key: `${limit.bucket}:${key}`, start: new Date(start), end: new Date(start + windowMs) };
}

/**
 * How long after the last failure the next attempt must wait, given `failures` so far.
 * @internal for tests: tests/integration/auth-rate-limit.test.ts
 */
export function waitAfter(limit: FailureLimit, failures: number): number {
	if (failures < limit.freeFailures) return 0;
	const doublings = Math.min(failures - limit.freeFailures, 30);
	return Math.min(limit.delayMs * 2 ** doublings, limit.maxDelayMs);
}

/**
 * Takes a slot for one attempt under `limit`, or says how long to wait. The caller then settles
 * the attempt with `attemptFailed` or `attemptSucceeded` (or `releaseAttempt` when it was never
 * made, e.g. another limit refused it).
 */
export async function beginAttempt(
	c: Collections,
	limit: FailureLimit,
	key: string,
	now = new Date()
): Promise<Attempt | Refusal> {
	const window = windowOf(limit, key, now);
	pruneSlotsSoon(c, now);
	// Each lost insert means another attempt took a slot meanwhile, so this ends after `limit` rounds.
	for (let round = 0; round <= limit.limit; round++) {
		const rows = await c.rateLimitSlots
			.find({ key: window.key, windowStart: window.start })
			.toArray();
		if (rows.length >= limit.limit) {
			return {
				allowed: false,
				reason: 'limit',
				retryAfterMs: window.end.getTime() - now.getTime()
			};
		}
		const wait = waitAfter(limit, rows.length);
		if (wait > 0) {
			const last = Math.max(
				...rows.map((row) => (row.failedAt ?? row.at ?? row.windowStart).getTime())
			);
			const ready = Math.min(last + wait, window.end.getTime());
			if (ready > now.getTime()) {
				return { allowed: false, reason: 'wait', retryAfterMs: ready - now.getTime() };
			}
		}
		const taken = new Set(rows.map((row) => row.slot));
		let slot = 1;
		while (taken.has(slot)) slot++;
		const row: RateLimitSlotDoc = {
			_id: `${window.key}:${window.start.getTime()}:${slot}`,
			key: window.key,
			windowStart: window.start,
			slot,
			at: now,
			expiresAt: window.end
		};
		try {
			await c.rateLimitSlots.insertOne(row);
			return { allowed: true, slotId: row._id, windowKey: window.key };
		} catch (err) {
			if (!isDuplicateKeyError(err)) throw err;
		}
	}
	return { allowed: false, reason: 'wait', retryAfterMs: 1000 };
}

/** The attempt failed: its slot stays until the window ends. */
export async function attemptFailed(c: Collections, attempt: Attempt, now = new Date()) {
	await c.rateLimitSlots.updateOne({ _id: attempt.slotId }, { $set: { failedAt: now } });
}

/** The attempt was not made after all (another limit refused it): its slot is given back. */
export async function releaseAttempt(c: Collections, attempt: Attempt) {
	await c.rateLimitSlots.deleteOne({ _id: attempt.slotId });
}

/**
 * The attempt succeeded: its slot is given back, and with `clear` every failure of its key is
 * forgotten (an account's counter after a successful login).
 */
export async function attemptSucceeded(
	c: Collections,
	attempt: Attempt,
	options: { clear: boolean }
) {
	if (options.clear) await c.rateLimitSlots.deleteMany({ key: attempt.windowKey });
	else await releaseAttempt(c, attempt);
}

/** Forgets every failure of one key (e.g. an account whose password was just reset). */
export async function clearFailures(
	c: Collections,
	limit: Pick<FailureLimit, 'bucket'>,
	key: string
) {
	await c.rateLimitSlots.deleteMany({ key: `${limit.bucket}:${key}` });
}

const pruneSlotsSoon = throttledPrune((c, now) => pruneRateLimitSlots(c, now));
