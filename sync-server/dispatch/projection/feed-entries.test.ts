import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	feedDocName,
	feedEntryFor,
	feedMap,
	feedsForOrder,
	readOrder,
	writeMeta,
	type FeedEntry
} from '../../../src/lib/order/index.ts';
import {
	PEOPLE,
	sampleMeta,
	serverDoc,
	type ServerDocOptions
} from '../../../src/lib/order/test-fixtures.ts';
import {
	FEED_ORIGIN,
	PERSONAL_FEED_FINISHED,
	pruneFeed,
	writeOrderEntries,
	type FeedOrder
} from './feed-entries.ts';

function finished(
	id: string,
	status: 'delivered' | 'cancelled',
	updatedAt: string
): Partial<FeedEntry> {
	return { id, status, updatedAt };
}

/** An order as the projection reads it: its view and the feeds it belongs in now. */
function order(options?: ServerDocOptions): FeedOrder {
	return orderIn(serverDoc(options));
}

function orderIn(doc: Y.Doc): FeedOrder {
	const view = readOrder(doc)!;
	return { view, member: feedsForOrder(view) };
}

/** Every transaction's origin while `write` runs on `doc`. */
function origins(doc: Y.Doc, write: () => void): unknown[] {
	const seen: unknown[] = [];
	const listener = (_update: Uint8Array, origin: unknown) => seen.push(origin);
	doc.on('update', listener);
	try {
		write();
	} finally {
		doc.off('update', listener);
	}
	return seen;
}

describe('writeOrderEntries', () => {
	const customerFeed = feedDocName('customer', PEOPLE.customer.userId);
	const openFeed = feedDocName('open');

	it('writes the entry of each order that belongs in the feed, in one transaction', () => {
		const doc = new Y.Doc();
		const pending = order();
		const otherDoc = new Y.Doc();
		writeMeta(otherDoc, sampleMeta({ orderId: 'ord2' }));
		const other = orderIn(otherDoc);
		const seen = origins(doc, () =>
			writeOrderEntries(doc, customerFeed, 'customer', [pending, other])
		);
		expect(seen).toEqual([FEED_ORIGIN]);
		expect(feedMap(doc).toJSON()).toEqual({
			ord1: feedEntryFor(pending.view, 'customer'),
			ord2: feedEntryFor(other.view, 'customer')
		});
		// the same entries again change nothing
		expect(origins(doc, () => writeOrderEntries(doc, customerFeed, 'customer', [pending]))).toEqual(
			[]
		);
	});

	it('takes out the entry of an order that left the feed', () => {
		const doc = new Y.Doc();
		const pending = order();
		writeOrderEntries(doc, openFeed, 'open', [pending]);
		expect(feedMap(doc).has('ord1')).toBe(true);
		const claimed = order({ claimed: true });
		expect(claimed.member).not.toContain(openFeed);
		writeOrderEntries(doc, openFeed, 'open', [claimed]);
		expect(feedMap(doc).has('ord1')).toBe(false);
		// an order without an index row belongs nowhere
		writeOrderEntries(doc, customerFeed, 'customer', [pending]);
		writeOrderEntries(doc, customerFeed, 'customer', [{ view: pending.view, member: [] }]);
		expect(feedMap(doc).size).toBe(0);
	});

	it('feed/admin shows active orders only: a finished one leaves it', () => {
		const doc = new Y.Doc();
		const adminFeed = feedDocName('admin');
		writeOrderEntries(doc, adminFeed, 'admin', [order({ claimed: true })]);
		expect(feedMap(doc).get('ord1')).toMatchObject({ status: 'accepted' });
		const delivered = order({
			claimed: true,
			then: ['preparing', 'out_for_delivery', 'delivered']
		});
		expect(delivered.member).toContain(adminFeed);
		writeOrderEntries(doc, adminFeed, 'admin', [delivered]);
		expect(feedMap(doc).has('ord1')).toBe(false);
	});

	it("a finished entry applies the feed's window", () => {
		const doc = new Y.Doc();
		const map = feedMap(doc);
		for (let i = 0; i < PERSONAL_FEED_FINISHED; i++) {
			map.set(`f${i}`, finished(`f${i}`, 'delivered', '2024-01-01T00:00:00Z'));
		}
		// an active entry keeps the window as it is
		writeOrderEntries(doc, customerFeed, 'customer', [order()]);
		expect(map.size).toBe(PERSONAL_FEED_FINISHED + 1);
		const cancelled = order({ claimed: true, then: ['cancelled'] });
		writeOrderEntries(doc, customerFeed, 'customer', [cancelled]);
		expect(map.get('ord1')).toMatchObject({ status: 'cancelled' });
		expect(map.size).toBe(PERSONAL_FEED_FINISHED);
	});
});

describe('pruneFeed', () => {
	it('feed/admin keeps active orders only (finished ones are paged from the index)', () => {
		const doc = new Y.Doc();
		const map = feedMap(doc);
		map.set('old', finished('old', 'delivered', '2025-03-09T23:59:00Z'));
		map.set('new', finished('new', 'cancelled', '2025-03-10T08:00:00Z'));
		map.set('active', { id: 'active', status: 'preparing', updatedAt: '2025-03-01T08:00:00Z' });
		expect(pruneFeed(doc, 'admin')).toBe(2);
		expect([...map.keys()].sort()).toEqual(['active']);
	});

	it('personal feeds keep every active order and the newest finished ones', () => {
		const doc = new Y.Doc();
		const map = feedMap(doc);
		const extra = 5;
		for (let i = 0; i < PERSONAL_FEED_FINISHED + extra; i++) {
			const time = new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString();
			map.set(`f${i}`, finished(`f${i}`, 'delivered', time));
		}
		map.set('active', { id: 'active', status: 'accepted', updatedAt: '2024-01-01T00:00:00Z' });
		expect(pruneFeed(doc, 'customer')).toBe(extra);
		expect(map.has('active')).toBe(true);
		for (let i = 0; i < extra; i++) expect(map.has(`f${i}`)).toBe(false);
		expect(map.has(`f${PERSONAL_FEED_FINISHED + extra - 1}`)).toBe(true);
		expect(pruneFeed(doc, 'partner')).toBe(0);
	});
});
