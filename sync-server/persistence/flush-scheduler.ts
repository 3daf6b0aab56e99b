// When the group commit writes. The first update after a quiet spell goes out at once; whatever
// arrives while a write is in flight waits for it and goes out in the next one, which starts no
// sooner than `minIntervalMs` after the last one started. `delayMs` adds a fixed wait before
// every write; a write someone waits for (`soon()`) skips both. A document whose write failed is
// not retried before its backoff is over.

export interface FlushSchedulerOptions {
	/** Extra time updates wait to be batched before a write (0: none). */
	delayMs: number;
	/** The least time from the start of one write to the start of the next. */
	minIntervalMs: number;
	/** Runs one write; the next one is not started before it settles. */
	flush: () => Promise<void>;
	/** When the first document with pending updates may be written (Date.now()), or Infinity. */
	nextDue: () => number;
}

export class FlushScheduler {
	private timer: NodeJS.Timeout | null = null;
	/** A scheduled write is running; what arrives meanwhile waits for the next one. */
	private flushing = false;
	/** When the last scheduled write started (performance.now()). */
	private lastStart = -Infinity;
	/** Something asked for the next write to start without the batching delay. */
	private urgent = false;
	private stopped = false;

	constructor(private readonly options: FlushSchedulerOptions) {}

	/** An update was queued. */
	queued(): void {
		this.schedule(this.options.delayMs);
	}

	/** Starts the next write without the batching delay or interval (someone waits for it). */
	soon(): void {
		if (this.stopped) return;
		this.urgent = true;
		if (this.flushing) return; // the write in flight starts the next one when it settles
		this.cancel();
		this.schedule(0);
	}

	/** Drops the write scheduled next, if any (one in flight goes on, and may schedule again). */
	cancel(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
	}

	/** Schedules nothing more. */
	stop(): void {
		this.stopped = true;
	}

	private schedule(delayMs: number): void {
		if (this.timer || this.flushing || this.stopped) return;
		const interval = this.urgent ? 0 : this.options.minIntervalMs;
		const wait = Math.max(delayMs, this.lastStart + interval - performance.now());
		this.timer = setTimeout(() => {
			this.timer = null;
			this.lastStart = performance.now();
			this.flushing = true;
			this.urgent = false;
			void this.options.flush().finally(() => {
				this.flushing = false;
				this.rescheduleIfPending();
			});
		}, wait);
	}

	private rescheduleIfPending(): void {
		const due = this.options.nextDue();
		if (due === Infinity) return;
		const batching = this.urgent ? 0 : this.options.delayMs;
		this.schedule(Math.max(batching, due - Date.now()));
	}
}
