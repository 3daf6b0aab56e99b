// Keeps the `orders` index and the feed documents in step with the order documents
// (docs/architecture.md, "Feeds"; docs/orders.md, "The index and the feeds"). Every change to an
// order document, from a client or from the service channel, schedules a projection of that
// order; loading an order document schedules one too, which heals a crash between a document
// change and its projection. A projection reads the order, updates its index row and puts the
// order's entry into every feed it belongs to now, taking it out of the feeds it left.
//
// This module wires the parts to the core's hooks:
//
//   batches.ts            changes gathered for `coalesceMs`, projected one batch at a time
//   projected-order.ts    an order read from its document, with the feeds it belongs in
//   index-row.ts          what its index row should hold, and what differs
//   index-writer.ts       the rows written: cached, guarded, in one bulk write per batch
//   deferred-activity.ts  activity-only row changes, written at most every `indexLazyMs`
//   feed-entries.ts       what a feed document holds of the orders, and its window
//   feed-writer.ts        each feed a batch touches written once, for all its orders
//   lazy-feeds.ts         feeds nobody has open, written at most every `feedLazyMs`
import { feedDocName, orderDocName, parseDocName } from '../../../src/lib/order/index.ts';
import type { Collections } from '../../../src/lib/shared/db.ts';
import type { Logger } from '../../../src/lib/shared/log.ts';
import type { SyncDocument } from '../../core/document.ts';
import type { SyncServer } from '../../core/server.ts';
import type { DispatchPrincipal } from '../principal.ts';
import { ProjectionBatches, SLICE, yieldToEventLoop } from './batches.ts';
import { DeferredActivity } from './deferred-activity.ts';
import { FEED_ORIGIN, pruneFeed } from './feed-entries.ts';
import { FeedWriter } from './feed-writer.ts';
import { IndexWriter } from './index-writer.ts';
import { LazyFeeds } from './lazy-feeds.ts';
import { readProjectedOrder, type ProjectedOrder } from './projected-order.ts';

/** Default for `coalesceMs`: boards show a change within about a quarter of a second. */
const PROJECTION_COALESCE_MS = 250;

/** Default for `indexLazyMs`. */
const INDEX_LAZY_MS = 5_000;

/** Default for `feedLazyMs`. */
const FEED_LAZY_MS = 60_000;

export interface ProjectionOptions {
	server: SyncServer<DispatchPrincipal>;
	collections: Collections;
	log: Logger;
	/** How long changes are gathered before the changed orders are projected (default 250). */
	coalesceMs?: number;
	/** How long an index row's activity-only change may wait (default 5000). */
	indexLazyMs?: number;
	/** How long a feed nobody has open may go without being written (default 60000). */
	feedLazyMs?: number;
	/** Called when a partner's delivered count or rating may have changed. */
	onPartnerStatsChanged?: (partnerId: string) => void;
}

export class OrderProjection {
	private readonly batches: ProjectionBatches;
	private readonly activity: DeferredActivity;
	private readonly index: IndexWriter;
	private readonly lazyFeeds: LazyFeeds;
	private readonly feeds: FeedWriter;
	private stopped = false;

	constructor(private readonly options: ProjectionOptions) {
		const { server, collections, log } = options;
		const batches = new ProjectionBatches({
			delayMs: options.coalesceMs ?? PROJECTION_COALESCE_MS,
			project: (orderIds) => this.project(orderIds),
			log
		});
		const schedule = (orderId: string) => batches.schedule(orderId);
		this.batches = batches;
		this.activity = new DeferredActivity({
			lazyMs: options.indexLazyMs ?? INDEX_LAZY_MS,
			schedule
		});
		this.index = new IndexWriter({
			collections,
			log,
			activity: this.activity,
			onPartnerStatsChanged: options.onPartnerStatsChanged
		});
		this.lazyFeeds = new LazyFeeds({
			lazyMs: options.feedLazyMs ?? FEED_LAZY_MS,
			isWatched: (feed) => server.isWatched(feed),
			schedule
		});
		this.feeds = new FeedWriter({ server, lazy: this.lazyFeeds, log });
	}

	/** The core's `changed` hook: any change to an order document. */
	changed(docName: string): void {
		const name = parseDocName(docName);
		if (name?.kind === 'order') this.batches.schedule(name.orderId);
	}

	/** The core's `loaded` hook: reconcile an order as it is loaded (unless a batch loaded it). */
	loaded(document: SyncDocument): void {
		const name = parseDocName(document.name);
		if (name?.kind !== 'order' || this.batches.isProjecting(name.orderId)) return;
		this.batches.schedule(name.orderId);
	}

	/** The core's `joined` hook: a feed that someone opens gets what it is owed now. */
	joined(docName: string): void {
		this.lazyFeeds.joined(docName);
	}

	/**
	 * The core's `beforeUnload` hook, before an order document is released: its deferred index
	 * row and its entries in feeds that are owed them are written now, from the document in hand
	 * (paid later, they would load it again).
	 */
	async unloading(document: SyncDocument): Promise<void> {
		const name = parseDocName(document.name);
		if (name?.kind !== 'order') return;
		const { orderId } = name;
		const owing = this.lazyFeeds.owedTo(orderId);
		if (owing.length === 0 && !this.activity.isWaiting(orderId)) return;
		const order = readProjectedOrder(orderId, document);
		if (order === null) return;
		await this.index.write([order], { now: true });
		if (order.failed) return;
		await this.feeds.writeOwed(order, owing);
	}

	/** How many order entries feeds nobody has open are owed now (for the metrics). */
	owedEntries(): number {
		return this.lazyFeeds.owedEntries();
	}

	/** Applies feed/admin's window now (finished orders a stored copy still holds leave it). */
	async pruneAdminFeed(): Promise<void> {
		if (this.stopped) return;
		await this.options.server.withDocument(feedDocName('admin'), (document) => {
			pruneFeed(document.doc, 'admin', FEED_ORIGIN);
		});
	}

	/**
	 * Projects everything scheduled now, with the index rows and feed entries still waiting, and
	 * waits for running projections; then stops.
	 */
	async stop(): Promise<void> {
		this.stopped = true;
		this.activity.stop();
		this.lazyFeeds.stop();
		await this.batches.stop([...this.activity.waiting(), ...this.lazyFeeds.owedOrders()]);
	}

	/** One batch: the orders read from their documents, then their index rows, then the feeds. */
	private async project(orderIds: string[]): Promise<void> {
		const read: Array<ProjectedOrder | null> = [];
		for (let i = 0; i < orderIds.length; i += SLICE) {
			if (i > 0) await yieldToEventLoop();
			const slice = orderIds.slice(i, i + SLICE).map((orderId) =>
				this.read(orderId).catch((error: unknown) => {
					this.options.log.error({ err: error, orderId }, 'order projection failed');
					return null;
				})
			);
			read.push(...(await Promise.all(slice)));
		}
		const orders = read.filter((entry) => entry !== null);
		if (orders.length === 0) return;
		await this.index.write(orders);
		await this.feeds.write(orders.filter((order) => !order.failed));
	}

	private read(orderId: string): Promise<ProjectedOrder | null> {
		return this.options.server.withDocument(orderDocName(orderId), (document) =>
			readProjectedOrder(orderId, document)
		);
	}
}
