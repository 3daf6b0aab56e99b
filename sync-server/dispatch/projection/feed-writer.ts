// Writes a batch's orders into the feed documents: each feed the batch touches once, in one
// transaction, for all its orders (one Yjs update to store and broadcast per feed and batch, not
// per order). Feeds are ordinary documents of the sync-server, loaded through `withDocument`, so
// whoever has one open sees the change live. A feed that is not due (lazy-feeds.ts) is owed the
// batch's entries instead.
import { feedKindOf, type FeedKind } from '../../../src/lib/order/index.ts';
import type { Logger } from '../../../src/lib/shared/log.ts';
import type { SyncServer } from '../../core/server.ts';
import type { DispatchPrincipal } from '../principal.ts';
import { SLICE, yieldToEventLoop } from './batches.ts';
import { writeOrderEntries } from './feed-entries.ts';
import type { LazyFeeds } from './lazy-feeds.ts';
import type { ProjectedOrder } from './projected-order.ts';

export interface FeedWriterOptions {
	server: SyncServer<DispatchPrincipal>;
	/** Which feeds are due, and what the others are owed. */
	lazy: LazyFeeds;
	log: Logger;
}

export class FeedWriter {
	constructor(private readonly options: FeedWriterOptions) {}

	/** Writes (or owes) the orders' entries to every feed they are or may have been in. */
	async write(orders: ProjectedOrder[]): Promise<void> {
		const { lazy } = this.options;
		const byFeed = new Map<string, ProjectedOrder[]>();
		for (const order of orders) {
			for (const name of order.candidates) {
				let list = byFeed.get(name);
				if (list === undefined) byFeed.set(name, (list = []));
				list.push(order);
			}
		}
		const now = Date.now();
		// Feeds are written a slice at a time, the slice's writes side by side: a feed nobody has
		// open is loaded first, and a storm's hundreds of feed loads then share their reads.
		let slice: Array<Promise<void>> = [];
		for (const [name, members] of byFeed) {
			const kind = feedKindOf(name);
			if (kind === null) continue;
			const orderIds = members.map((order) => order.orderId);
			if (!lazy.isDue(name, now)) {
				lazy.owe(name, orderIds, now);
				continue;
			}
			lazy.written(name, orderIds, now);
			slice.push(this.writeFeed(name, kind, members));
			if (slice.length === SLICE) {
				await Promise.all(slice);
				slice = [];
				await yieldToEventLoop();
			}
		}
		await Promise.all(slice);
		lazy.forgetOldWrites(now);
	}

	/** Pays what these feeds are owed of one order, from the order in hand. */
	async writeOwed(order: ProjectedOrder, feeds: readonly string[]): Promise<void> {
		await Promise.all(
			feeds.map((feed) => {
				const kind = feedKindOf(feed);
				this.options.lazy.paidOne(feed, order.orderId);
				return kind === null ? undefined : this.writeFeed(feed, kind, [order]);
			})
		);
	}

	private async writeFeed(name: string, kind: FeedKind, orders: ProjectedOrder[]): Promise<void> {
		try {
			await this.options.server.withDocument(name, (document) => {
				writeOrderEntries(document.doc, name, kind, orders);
			});
		} catch (error) {
			this.options.log.error({ err: error, feed: name }, 'feed projection failed');
		}
	}
}
