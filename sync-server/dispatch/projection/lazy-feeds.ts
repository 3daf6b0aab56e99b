// When a feed is written. A feed someone has open is written in every batch that touches it; one
// nobody has open at most every `lazyMs`: the first change after a quiet spell at once, later ones
// owed and written together when that time is up. A socket joining a feed that is owed changes
// gets them with the next batch, an order document that unloads pays its own entries (see the
// projection's `unloading`), and stopping writes all of them. This module only keeps the books
// and the timer; the feed writer (feed-writer.ts) writes.
export interface LazyFeedsOptions {
	/** How long a feed nobody has open may go without being written (0: never waits). */
	lazyMs: number;
	/** Whether someone has the feed open now. */
	isWatched: (feed: string) => boolean;
	/** Schedules an order's projection (to pay what a feed is owed). */
	schedule: (orderId: string) => void;
}

/** Changes owed to a feed nobody had open: the orders, and since when the first one waits. */
interface OwedFeed {
	since: number;
	orders: Set<string>;
}

/**
 * Removes the entries whose time is at or before `cutoff`.
 * @internal for tests: lazy-feeds.test.ts
 */
export function dropOlderThan(times: Map<string, number>, cutoff: number): void {
	for (const [key, at] of times) if (at <= cutoff) times.delete(key);
}

export class LazyFeeds {
	/** When each feed was last written (feeds nobody has open wait `lazyMs` between writes). */
	private readonly writtenAt = new Map<string, number>();
	private writesForgottenAt = 0;
	private readonly owedFeeds = new Map<string, OwedFeed>();
	/** The same, by order: the feeds that are owed each order's entry. */
	private readonly owedByOrder = new Map<string, Set<string>>();
	/** Feeds to write in the next batch whoever has them open (owed changes are being paid). */
	private readonly forcedFeeds = new Set<string>();
	private timer: NodeJS.Timeout | null = null;
	private stopped = false;

	constructor(private readonly options: LazyFeedsOptions) {}

	/** Whether a feed is written in this batch (once stopped, every feed is). */
	isDue(name: string, now: number): boolean {
		const { lazyMs } = this.options;
		if (this.stopped || lazyMs === 0 || this.forcedFeeds.has(name)) return true;
		if (this.options.isWatched(name)) return true;
		const owed = this.owedFeeds.get(name);
		if (owed) return now - owed.since >= lazyMs;
		return now - (this.writtenAt.get(name) ?? -Infinity) >= lazyMs;
	}

	/** A feed that is not due is owed these orders' entries. */
	owe(name: string, orderIds: Iterable<string>, now: number): void {
		let owed = this.owedFeeds.get(name);
		if (owed === undefined) this.owedFeeds.set(name, (owed = { since: now, orders: new Set() }));
		for (const orderId of orderIds) {
			owed.orders.add(orderId);
			let feeds = this.owedByOrder.get(orderId);
			if (feeds === undefined) this.owedByOrder.set(orderId, (feeds = new Set()));
			feeds.add(name);
		}
		this.arm();
	}

	/**
	 * A due feed is written now with these orders' entries. What it was owed besides goes in the
	 * next batch, whatever its age.
	 */
	written(name: string, orderIds: Iterable<string>, now: number): void {
		if (this.options.lazyMs > 0) this.writtenAt.set(name, now);
		this.forcedFeeds.delete(name);
		const owed = this.owedFeeds.get(name);
		if (!owed) return;
		this.paidAll(name, owed);
		const written = new Set(orderIds);
		const rest = [...owed.orders].filter((orderId) => !written.has(orderId));
		if (rest.length > 0) {
			this.forcedFeeds.add(name);
			for (const orderId of rest) this.options.schedule(orderId);
		}
	}

	/**
	 * A feed last written `lazyMs` ago is due as if it had never been written: its time is dropped
	 * (looked over once per `lazyMs`), so the map holds recent feeds, not every feed since the
	 * start.
	 */
	forgetOldWrites(now: number): void {
		if (now - this.writesForgottenAt < this.options.lazyMs) return;
		this.writesForgottenAt = now;
		dropOlderThan(this.writtenAt, now - this.options.lazyMs);
	}

	/** The feeds that are owed this order's entry. */
	owedTo(orderId: string): string[] {
		return [...(this.owedByOrder.get(orderId) ?? [])];
	}

	/** A feed no longer owes one order's entry (it is being written). */
	paidOne(name: string, orderId: string): void {
		const owed = this.owedFeeds.get(name);
		if (owed !== undefined) {
			owed.orders.delete(orderId);
			if (owed.orders.size === 0) this.owedFeeds.delete(name);
		}
		this.forgetOwedOrder(orderId, name);
	}

	/** Someone opened a feed: what it is owed goes in the next batch. */
	joined(name: string): void {
		if (this.owedFeeds.has(name)) this.payOwed(name);
	}

	/** How many order entries feeds nobody has open are owed now (for the metrics). */
	owedEntries(): number {
		let count = 0;
		for (const feeds of this.owedByOrder.values()) count += feeds.size;
		return count;
	}

	/** Every order some feed is owed. */
	*owedOrders(): Generator<string> {
		for (const owed of this.owedFeeds.values()) yield* owed.orders;
	}

	/** Nothing waits from now on: every feed is due (`owedOrders()` says what is still owed). */
	stop(): void {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
	}

	/** A feed no longer owes anything (its owed orders are written or scheduled). */
	private paidAll(name: string, owed: OwedFeed): void {
		if (this.owedFeeds.get(name) === owed) this.owedFeeds.delete(name);
		for (const orderId of owed.orders) this.forgetOwedOrder(orderId, name);
	}

	private forgetOwedOrder(orderId: string, name: string): void {
		const feeds = this.owedByOrder.get(orderId);
		if (feeds === undefined) return;
		feeds.delete(name);
		if (feeds.size === 0) this.owedByOrder.delete(orderId);
	}

	/** Schedules a feed's owed orders, to be written in the next batch. */
	private payOwed(name: string): void {
		const owed = this.owedFeeds.get(name);
		if (!owed) return;
		this.forcedFeeds.add(name);
		for (const orderId of owed.orders) this.options.schedule(orderId);
	}

	/** Wakes up when the oldest owed feed is due and pays every due one. */
	private arm(): void {
		if (this.timer || this.stopped) return;
		const { lazyMs } = this.options;
		let first = Infinity;
		for (const [name, owed] of this.owedFeeds) {
			if (!this.forcedFeeds.has(name)) first = Math.min(first, owed.since);
		}
		if (first === Infinity) return;
		this.timer = setTimeout(
			() => {
				this.timer = null;
				const now = Date.now();
				for (const [name, owed] of this.owedFeeds) {
					if (now - owed.since >= lazyMs && !this.forcedFeeds.has(name)) this.payOwed(name);
				}
				this.arm();
			},
			Math.max(0, first + lazyMs - Date.now())
		);
		this.timer.unref();
	}
}
