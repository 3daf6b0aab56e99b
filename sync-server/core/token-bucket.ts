/**
 * A token bucket: up to `capacity` events at once, refilled at `refillPerSecond`. Used to limit
 * the message rate of each socket.
 */
export class TokenBucket {
	private tokens: number;
	private last: number;

	constructor(
		private readonly capacity: number,
		private readonly refillPerSecond: number,
		now: number = performance.now()
	) {
		if (!(capacity > 0) || !(refillPerSecond > 0))
			throw new RangeError('capacity and rate must be > 0');
		this.tokens = capacity;
		this.last = now;
	}

	/** Takes one token; false when the bucket is empty (the caller is over its rate). */
	take(now: number = performance.now()): boolean {
		return this.takeMany(1, now);
	}

	/** Takes `count` tokens (e.g. bytes), or none and false when fewer are left. */
	takeMany(count: number, now: number = performance.now()): boolean {
		const elapsed = Math.max(0, now - this.last) / 1000;
		this.last = Math.max(this.last, now);
		this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.refillPerSecond);
		if (this.tokens < count) return false;
		this.tokens -= count;
		return true;
	}
}
