// The projection's batches: orders whose documents changed are gathered for `delayMs` and then
// projected together, one batch at a time; what is scheduled while a batch runs goes into the
// next. Stopping projects everything scheduled at once and waits for it.
//
// A batch works through its orders and feeds in slices of `SLICE`, giving the event loop back in
// between: for loaded documents every step would otherwise resolve at once, and a batch of
// hundreds of orders would hold back every socket's messages until it is done.
import type { Logger } from '../../../src/lib/shared/log.ts';

export const SLICE = 25;

export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface ProjectionBatchesOptions {
	/** How long scheduled orders are gathered before their batch runs. */
	delayMs: number;
	/** Projects one batch; a rejection is logged and the next batch runs as usual. */
	project: (orderIds: string[]) => Promise<void>;
	log: Logger;
}

export class ProjectionBatches {
	private readonly pending = new Set<string>();
	/** Orders of the batch being projected. */
	private readonly projecting = new Set<string>();
	private timer: NodeJS.Timeout | null = null;
	private running: Promise<void> | null = null;
	private stopped = false;

	constructor(private readonly options: ProjectionBatchesOptions) {}

	/** Projects the order in the next batch (nothing once stopped). */
	schedule(orderId: string): void {
		if (this.stopped) return;
		this.pending.add(orderId);
		this.arm();
	}

	/** Whether the order is in the batch being projected now. */
	isProjecting(orderId: string): boolean {
		return this.projecting.has(orderId);
	}

	/**
	 * Stops taking schedules, projects what is scheduled and `orderIds` now (in as many batches as
	 * that takes) and resolves once nothing runs any more.
	 */
	async stop(orderIds: Iterable<string> = []): Promise<void> {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		for (const orderId of orderIds) this.pending.add(orderId);
		while (this.running || this.pending.size > 0) {
			if (!this.running) this.run();
			await this.running;
		}
	}

	private arm(): void {
		if (this.timer || this.running || this.pending.size === 0) return;
		this.timer = setTimeout(() => {
			this.timer = null;
			this.run();
		}, this.options.delayMs);
		this.timer.unref();
	}

	private run(): void {
		const batch = [...this.pending];
		this.pending.clear();
		for (const orderId of batch) this.projecting.add(orderId);
		this.running = this.options
			.project(batch)
			.catch((error: unknown) => {
				this.options.log.error({ err: error, orders: batch.length }, 'order projection failed');
			})
			.finally(() => {
				this.projecting.clear();
				this.running = null;
				// what changed while this batch ran goes in the next (at once when stopping)
				if (!this.stopped) this.arm();
			});
	}
}
