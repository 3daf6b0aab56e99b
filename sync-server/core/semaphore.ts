/**
 * Bounds how many async tasks run at once (authentication, document loads), so a reconnect storm
 * queues instead of opening thousands of database queries together. Waiters run in FIFO order.
 */
export class Semaphore {
	private running = 0;
	private readonly waiting: Array<() => void> = [];

	constructor(private readonly limit: number) {
		if (!Number.isInteger(limit) || limit < 1)
			throw new RangeError('limit must be a positive integer');
	}

	get active(): number {
		return this.running;
	}

	get queued(): number {
		return this.waiting.length;
	}

	async run<T>(task: () => Promise<T>): Promise<T> {
		await this.acquire();
		try {
			return await task();
		} finally {
			this.release();
		}
	}

	private acquire(): Promise<void> {
		if (this.running < this.limit) {
			this.running++;
			return Promise.resolve();
		}
		// the slot is handed over directly by release(), so `running` stays unchanged
		return new Promise((resolve) => this.waiting.push(resolve));
	}

	private release(): void {
		const next = this.waiting.shift();
		if (next) next();
		else this.running--;
	}
}
