// Limits on failed logins, kept in MongoDB so that every web process gives the same answers.
//
// Only failures count. An attempt takes a slot of its key's sliding window (per address, per
// account: rate-limit.ts) *before* the password is checked, so that concurrent attempts can never
// check more passwords than the limit allows; a failure keeps its slot for the window, a success
// gives it back (and clears the account's failures). So successful logins never use up an
// address's limit, and 200 people behind one address log in as well as one.
//
// Per account, failures also make the next attempt wait: the first `freeFailures` cost nothing,
// then each attempt must come at least 1, 2, 4 … × `delayMs` after the previous one (an attempt
// still being checked counts as a failure until it succeeds). The wait is checked against the
// slots the attempt read, and a slot is taken only by an attempt that read every slot taken before
// it (two attempts that read the same slots go for the same one and one of them loses the insert
// and reads again), so concurrent attempts cannot skip a wait either.
import type { Collections, RateLimitSlotDoc } from '../../shared/db.ts';
import { takeSlot, type Refusal } from './rate-limit.ts';

export interface FailureLimit {
	/** Names the kind of key, e.g. `login-ip`; rows are keyed `${bucket}:${key}`. */
	bucket: string;
	/** Failed (or still running) attempts within any window, at most. */
	limit: number;
	windowSeconds: number;
	/** Failures before the waits start; Infinity for none. */
	freeFailures: number;
	/** The first wait; each further failure doubles it, up to `maxDelayMs`. */
	delayMs: number;
	maxDelayMs: number;
}

export type Attempt = { allowed: true; slotId: string; key: string };

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
	const rowKey = `${limit.bucket}:${key}`;
	const taken = await takeSlot(
		c,
		{ key: rowKey, limit: limit.limit, windowSeconds: limit.windowSeconds },
		now,
		(live) => waitRefusal(limit, live, now)
	);
	return taken.allowed ? { allowed: true, slotId: taken.slotId, key: rowKey } : taken;
}

/** The wait the live rows (failures, and attempts still being checked) impose, if any. */
function waitRefusal(limit: FailureLimit, live: RateLimitSlotDoc[], now: Date): Refusal | null {
	const wait = waitAfter(limit, live.length);
	if (wait === 0) return null;
	const last = Math.max(...live.map((row) => (row.failedAt ?? row.at).getTime()));
	// once the oldest failure leaves the window, the wait is counted again from fewer failures
	const oldestLeaves = Math.min(...live.map((row) => row.expiresAt.getTime()));
	const ready = Math.min(last + wait, oldestLeaves);
	if (ready <= now.getTime()) return null;
	return { allowed: false, reason: 'wait', retryAfterMs: ready - now.getTime() };
}

/** The attempt failed: it keeps its slot for a window from when it began. */
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
	if (options.clear) await c.rateLimitSlots.deleteMany({ key: attempt.key });
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
