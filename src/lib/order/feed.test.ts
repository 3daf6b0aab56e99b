import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	feedDocName,
	feedEntryFor,
	feedKindOf,
	feedsForOrder,
	lastActivityAt,
	readFeed,
	removeFeedEntry,
	writeFeedEntry
} from './feed.ts';
import { appendEvent, createEvent, readOrder, writeMeta, writeRating } from './order-doc.ts';
import { PEOPLE, replicaOf, sampleMeta, serverDoc } from './test-fixtures.ts';

describe('feedEntryFor', () => {
	it('summarises an order, hiding phone and street from the open feed', () => {
		const view = readOrder(serverDoc())!;
		const open = feedEntryFor(view, 'open');
		expect(open).toEqual({
			id: 'ord1',
			status: 'pending',
			total: 2900,
			itemCount: 3,
			items: [
				{ name: 'Margherita', quantity: 2 },
				{ name: 'Lemonade', quantity: 1 }
			],
			city: 'Springfield',
			createdAt: '2025-01-01T10:00:00.000Z',
			updatedAt: '2025-01-01T10:00:00.000Z',
			customerId: 'cust1',
			customerName: 'Cora Customer',
			partnerId: null,
			partnerName: null,
			conflicts: 0,
			rating: null
		});
		expect(JSON.stringify(open)).not.toMatch(/Long Road|555|12345|Ring twice/);
		for (const feed of ['partner', 'customer'] as const) {
			const entry = feedEntryFor(view, feed);
			expect(entry.phone).toBe('+1 555 0100');
			expect(entry.address).toEqual(sampleMeta().address);
		}
		// the board: the city only, like the open orders (an order's page has the rest)
		expect(feedEntryFor(view, 'admin')).toBe(open);
	});

	it('carries the order’s currency when the order records one', () => {
		const doc = new Y.Doc();
		writeMeta(doc, sampleMeta({ currency: 'INR' }));
		const view = readOrder(doc)!;
		for (const feed of ['admin', 'open', 'partner', 'customer'] as const) {
			expect(feedEntryFor(view, feed).currency).toBe('INR');
		}
		// and the entry, written into a feed and read back, keeps it
		const feedDoc = new Y.Doc();
		writeFeedEntry(feedDoc, feedEntryFor(view, 'admin'));
		expect(readFeed(replicaOf(feedDoc))[0]!.currency).toBe('INR');
		expect('currency' in feedEntryFor(readOrder(serverDoc())!, 'admin')).toBe(false);
	});

	it('builds each entry once per view; a changed order gives a new one', async () => {
		const { readOrderCached } = await import('./order-cache.ts');
		const doc = serverDoc({ claimed: true });
		const view = readOrderCached(doc)!;
		const partner = feedEntryFor(view, 'partner');
		expect(feedEntryFor(view, 'customer')).toBe(partner);
		expect(feedEntryFor(view, 'open')).not.toBe(partner);
		expect(feedEntryFor(view, 'admin')).toBe(feedEntryFor(view, 'open'));
		expect(feedEntryFor(view, 'admin').phone).toBeUndefined();
		appendEvent(doc, createEvent(PEOPLE.partner, 'preparing'));
		const next = feedEntryFor(readOrderCached(doc)!, 'partner');
		expect(next).not.toBe(partner);
		expect(next.status).toBe('preparing');
		expect(partner.status).toBe('accepted');
	});

	it('follows the order: partner, conflicts, rating, last change', () => {
		const doc = serverDoc({ claimed: true, then: ['preparing', 'out_for_delivery', 'delivered'] });
		appendEvent(
			doc,
			createEvent(PEOPLE.admin, 'cancelled', undefined, new Date('2025-01-02T09:00:00Z'))
		);
		writeRating(doc, { stars: 4, comment: 'ok' });
		const entry = feedEntryFor(readOrder(doc)!, 'admin');
		expect(entry).toMatchObject({
			status: 'delivered',
			partnerId: 'part1',
			partnerName: 'Pia Partner',
			conflicts: 1,
			rating: 4,
			updatedAt: '2025-01-02T09:00:00.000Z'
		});
	});
});

describe('lastActivityAt', () => {
	it('is the latest of creation and events, comparing times with offsets by their instant', () => {
		const doc = serverDoc(); // created 2025-01-01T10:00:00.000Z
		const at = (iso: string) => ({ ...createEvent(PEOPLE.admin, 'preparing'), at: iso });
		appendEvent(doc, at('2025-01-01T10:15:00.000Z'));
		appendEvent(doc, at('2025-01-01T11:30:00+01:00')); // 10:30Z: the latest
		appendEvent(doc, at('2025-01-01T12:20:00.000+02:00')); // 10:20Z
		appendEvent(doc, at('2025-01-01T10:25:00.000Z'));
		expect(lastActivityAt(readOrder(doc)!)).toBe('2025-01-01T11:30:00+01:00');
		appendEvent(doc, at('2025-01-01T10:31:00.000Z'));
		expect(lastActivityAt(readOrder(doc)!)).toBe('2025-01-01T10:31:00.000Z');
	});
});

describe('feedsForOrder', () => {
	it('lists the feeds an order belongs in as it moves', () => {
		expect(feedsForOrder(readOrder(serverDoc())!)).toEqual([
			'feed/admin',
			'feed/open',
			'feed/customer/cust1'
		]);
		expect(feedsForOrder(readOrder(serverDoc({ claimed: true }))!)).toEqual([
			'feed/admin',
			'feed/partner/part1',
			'feed/customer/cust1'
		]);
		const cancelled = serverDoc();
		appendEvent(cancelled, createEvent(PEOPLE.customer, 'cancelled'));
		expect(feedsForOrder(readOrder(cancelled)!)).toEqual(['feed/admin', 'feed/customer/cust1']);
	});

	it('names feeds', () => {
		expect(feedDocName('open')).toBe('feed/open');
		expect(feedDocName('partner', 'p1')).toBe('feed/partner/p1');
		expect(() => feedDocName('customer', '../x')).toThrow();
		expect(feedKindOf('feed/partner/p1')).toBe('partner');
		expect(feedKindOf('order/x')).toBeNull();
	});
});

describe('feed documents', () => {
	it('writes, replicates and reads entries newest first', () => {
		const feed = new Y.Doc();
		const older = readOrder(serverDoc())!;
		const newerDoc = new Y.Doc();
		writeMeta(newerDoc, sampleMeta({ orderId: 'ord2', createdAt: '2025-01-01T11:00:00.000Z' }));
		const newer = readOrder(newerDoc)!;
		expect(writeFeedEntry(feed, feedEntryFor(older, 'admin'))).toBe(true);
		expect(writeFeedEntry(feed, feedEntryFor(newer, 'admin'))).toBe(true);
		expect(writeFeedEntry(feed, feedEntryFor(newer, 'admin'))).toBe(false); // unchanged: no write
		feed.getMap('orders').set('junk', { nope: 1 });
		const replica = replicaOf(feed);
		expect(readFeed(replica).map((e) => e.id)).toEqual(['ord2', 'ord1']);
		expect(removeFeedEntry(feed, 'ord2')).toBe(true);
		expect(removeFeedEntry(feed, 'ord2')).toBe(false);
		expect(readFeed(feed).map((e) => e.id)).toEqual(['ord1']);
	});
});
