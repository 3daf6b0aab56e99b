// What a feed document holds of the orders: each order's entry in the feeds it belongs in, none in
// the feeds it left, and each feed's window (how many finished orders it keeps). No I/O: the feed
// writer (feed-writer.ts) loads the feed documents and decides when they are written.
import type * as Y from 'yjs';
import {
	feedEntryFor,
	feedMap,
	isFinalStatus,
	removeFeedEntry,
	writeFeedEntry,
	type FeedKind,
	type OrderView
} from '../../../src/lib/order/index.ts';

/** Transaction origin of the server's writes into feed documents. */
export const FEED_ORIGIN = Symbol('feed');

/**
 * Personal feeds keep every active order and this many finished ones (the newest).
 * @internal for tests: feed-entries.test.ts
 */
export const PERSONAL_FEED_FINISHED = 50;

/** An order as a feed sees it: its state, and the names of the feeds it belongs in now. */
export interface FeedOrder {
	view: OrderView;
	member: readonly string[];
}

interface RawEntry {
	status?: unknown;
	updatedAt?: unknown;
}

function entryTime(value: RawEntry): number {
	const ms = typeof value.updatedAt === 'string' ? Date.parse(value.updatedAt) : NaN;
	return Number.isNaN(ms) ? 0 : ms;
}

function isFinalEntry(value: RawEntry): boolean {
	return value.status === 'delivered' || value.status === 'cancelled';
}

/**
 * Applies a feed's window: `feed/admin` keeps active orders only (the board pages finished ones
 * from the index over HTTP); personal feeds keep active orders and the newest finished ones.
 * Returns how many entries it removed.
 */
export function pruneFeed(doc: Y.Doc, kind: FeedKind, origin?: unknown): number {
	const map = feedMap(doc);
	const stale: string[] = [];
	if (kind === 'admin') {
		for (const [id, value] of map.entries()) {
			if (isFinalEntry((value ?? {}) as RawEntry)) stale.push(id);
		}
	} else if (kind === 'customer' || kind === 'partner') {
		const finished: Array<[string, number]> = [];
		for (const [id, value] of map.entries()) {
			const entry = (value ?? {}) as RawEntry;
			if (isFinalEntry(entry)) finished.push([id, entryTime(entry)]);
		}
		if (finished.length > PERSONAL_FEED_FINISHED) {
			finished.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
			for (const [id] of finished.slice(PERSONAL_FEED_FINISHED)) stale.push(id);
		}
	}
	if (stale.length > 0) doc.transact(() => stale.forEach((id) => map.delete(id)), origin);
	return stale.length;
}

/**
 * Writes the orders into one feed document, in one transaction (`FEED_ORIGIN`): the entry of each
 * order that belongs in the feed, and none of an order that left it; then, if a finished entry
 * was written, the feed's window.
 */
export function writeOrderEntries(
	doc: Y.Doc,
	name: string,
	kind: FeedKind,
	orders: readonly FeedOrder[]
): void {
	doc.transact(() => {
		let finished = false;
		for (const order of orders) {
			if (writeOrderEntry(doc, name, kind, order)) finished = true;
		}
		if (finished) pruneFeed(doc, kind, FEED_ORIGIN);
	}, FEED_ORIGIN);
}

/** Puts the order's entry into the feed or takes it out; true if a finished entry was written. */
function writeOrderEntry(doc: Y.Doc, name: string, kind: FeedKind, order: FeedOrder): boolean {
	const orderId = order.view.meta.orderId;
	if (!order.member.includes(name)) {
		removeFeedEntry(doc, orderId, FEED_ORIGIN);
		return false;
	}
	const entry = feedEntryFor(order.view, kind);
	const final = isFinalStatus(entry.status);
	if (kind === 'admin' && final) {
		// the board shows active orders live; finished ones come from the index (GET /api/orders)
		removeFeedEntry(doc, orderId, FEED_ORIGIN);
		return false;
	}
	writeFeedEntry(doc, entry, FEED_ORIGIN);
	return final;
}
