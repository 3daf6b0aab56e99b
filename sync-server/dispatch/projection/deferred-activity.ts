// Index rows whose only change is activity (`updatedAt`, `conflicts`; see `activityOnly`) are
// written at most every `lazyMs` per order: the first such change starts the wait, later ones
// ride along, and when the wait is up the order is scheduled and its row written with whatever
// it holds then. A change to anything else is written at once and takes the waiting activity
// with it. Once stopped nothing waits: stopping projects every order still waiting.
export interface DeferredActivityOptions {
	/** How long an order's activity-only change may wait (0: never). */
	lazyMs: number;
	/** Schedules an order's projection (its wait is up). */
	schedule: (orderId: string) => void;
}

export class DeferredActivity {
	/** Orders whose row has an activity-only change waiting, and since when. */
	private readonly since = new Map<string, number>();
	private timer: NodeJS.Timeout | null = null;
	private stopped = false;

	constructor(private readonly options: DeferredActivityOptions) {}

	/** True (and remembered) while an activity-only change of this order may still wait. */
	mayWait(orderId: string): boolean {
		if (this.stopped || this.options.lazyMs === 0) return false;
		const now = Date.now();
		const since = this.since.get(orderId);
		if (since === undefined) {
			this.since.set(orderId, now);
			this.arm();
			return true;
		}
		return now - since < this.options.lazyMs;
	}

	/** Nothing of the order's row waits any more (it was written, or needs nothing). */
	settled(orderId: string): void {
		this.since.delete(orderId);
	}

	/** Whether an activity-only change of the order waits. */
	isWaiting(orderId: string): boolean {
		return this.since.has(orderId);
	}

	/** The orders with an activity-only change waiting. */
	waiting(): IterableIterator<string> {
		return this.since.keys();
	}

	/** Nothing waits from now on (`waiting()` says what still needs writing). */
	stop(): void {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
	}

	/**
	 * Wakes up when the oldest waiting change is due and schedules every due order (the batch
	 * writes them and settles them); then waits for the next one not yet due.
	 */
	private arm(): void {
		if (this.timer || this.stopped) return;
		const { lazyMs } = this.options;
		const now = Date.now();
		let first = Infinity;
		for (const since of this.since.values()) {
			if (now - since < lazyMs) first = Math.min(first, since);
		}
		if (first === Infinity) return;
		this.timer = setTimeout(
			() => {
				this.timer = null;
				const at = Date.now();
				for (const [orderId, since] of this.since) {
					if (at - since >= lazyMs) this.options.schedule(orderId);
				}
				this.arm();
			},
			first + lazyMs - now
		);
		this.timer.unref();
	}
}
