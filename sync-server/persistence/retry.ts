/** Exponential backoff with full jitter: attempt 0 → up to base ms, doubling up to `max`. */
export function backoffDelay(
	attempt: number,
	baseMs: number,
	maxMs: number,
	random = Math.random
): number {
	const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
	return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
