// Reconnect timing for the sync layer. y-websocket's own backoff has no jitter, so after a
// sync-server restart every client would come back at the same instants.
// The sync layer turns y-websocket's reconnect off and schedules it with these delays instead.

export interface BackoffOptions {
	/** Upper bound of the first retry's delay. */
	baseMs: number;
	/** No delay is longer than this. */
	maxMs: number;
}

/** @internal for tests: backoff.test.ts */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 30_000 };

/**
 * Delay before reconnect attempt number `attempt` (0 = the first retry after a close): exponential
 * growth capped at `maxMs`, with "equal jitter" — half of the step is fixed, half is random — so
 * clients spread out but none waits longer than the cap or retries in a tight loop.
 */
export function reconnectDelay(
	attempt: number,
	random: () => number = Math.random,
	options: BackoffOptions = DEFAULT_BACKOFF
): number {
	const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, Math.min(attempt, 20)));
	return Math.round(step / 2 + random() * (step / 2));
}

/** A short random pause (0 to `maxMs`), e.g. before reconnecting when the network comes back. */
export function jitter(maxMs: number, random: () => number = Math.random): number {
	return Math.round(random() * maxMs);
}
