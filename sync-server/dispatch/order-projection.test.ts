import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { feedMap, readOrder, type FeedEntry } from '../../src/lib/order/index.ts';
import { serverDoc, PEOPLE } from '../../src/lib/order/test-fixtures.ts';
import type { OrderIndexDoc } from '../../src/lib/shared/db.ts';
import {
	activityOnly,
	changedFields,
	dropOlderThan,
	PERSONAL_FEED_FINISHED,
	projectIndex,
	pruneFeed
} from './order-projection.ts';

describe('projectIndex', () => {
	it('derives status, partner and times from the document', () => {
		const view = readOrder(
			serverDoc({ claimed: true, then: ['preparing', 'out_for_delivery', 'delivered'] })
		)!;
		const row = projectIndex(view, null);
		expect(row.status).toBe('delivered');
		expect(row.partnerId).toBe(PEOPLE.partner.userId);
		expect(row.claimedAt).toBeInstanceOf(Date);
		expect(row.deliveredAt).toBeInstanceOf(Date);
		expect(row.deliveredAt!.toISOString()).toBe(view.events.at(-1)!.at);
		expect(row.cancelledAt).toBeNull();
		expect(row.conflicts).toBe(0);
	});

	it('a partner already in the row is kept until the document shows the assignment', () => {
		const view = readOrder(serverDoc())!;
		const claimedAt = new Date('2025-01-01T10:02:00Z');
		const row = { status: 'accepted' as const, partnerId: 'p7', partnerName: 'Pia', claimedAt };
		expect(projectIndex(view, null, row)).toMatchObject({
			status: 'accepted',
			partnerId: 'p7',
			claimedAt
		});
		const assigned = readOrder(serverDoc({ claimed: true }))!;
		expect(projectIndex(assigned, null, row)).toMatchObject({
			status: 'accepted',
			partnerId: PEOPLE.partner.userId
		});
	});

	it('a recorded claim the document does not show yet keeps the order accepted', () => {
		const view = readOrder(serverDoc())!;
		expect(projectIndex(view, null)).toMatchObject({ status: 'pending', partnerId: null });
		const at = new Date('2025-01-01T10:01:00Z');
		const claim = { kind: 'claim' as const, userId: 'p9', userName: 'Pat', at };
		expect(projectIndex(view, claim)).toMatchObject({
			status: 'accepted',
			partnerId: 'p9',
			claimedAt: at
		});
		const cancel = { kind: 'cancel' as const, userId: PEOPLE.customer.userId, userName: 'C', at };
		expect(projectIndex(view, cancel)).toMatchObject({
			status: 'cancelled',
			cancelledAt: at,
			partnerId: null
		});
	});

	it('an assigned order ignores any decision (so the projection does not read it)', () => {
		const at = new Date('2025-01-01T10:01:00Z');
		const decisions = [
			null,
			{ kind: 'claim' as const, userId: 'p9', userName: 'Pat', at },
			{ kind: 'cancel' as const, userId: PEOPLE.customer.userId, userName: 'C', at }
		];
		for (const then of [[], ['preparing'], ['cancelled']] as const) {
			const view = readOrder(serverDoc({ claimed: true, then: [...then] }))!;
			const expected = projectIndex(view, null);
			for (const decision of decisions) expect(projectIndex(view, decision)).toEqual(expected);
		}
	});
});

function finished(
	id: string,
	status: 'delivered' | 'cancelled',
	updatedAt: string
): Partial<FeedEntry> {
	return { id, status, updatedAt };
}

describe('changedFields', () => {
	const view = readOrder(
		serverDoc({ claimed: true, then: ['preparing', 'out_for_delivery', 'delivered'] })
	)!;
	const next = { ...projectIndex(view, null), rating: { stars: 4, comment: 'ok' } };
	/** A row as MongoDB returns it: equal values, but other Date objects and a rating of its own. */
	const storedRow = (): OrderIndexDoc => ({
		_id: view.meta.orderId,
		customerId: view.meta.customerId,
		customerName: 'C',
		total: 100,
		itemCount: 1,
		city: 'X',
		createdAt: new Date(view.meta.createdAt),
		...next,
		claimedAt: new Date(next.claimedAt!.getTime()),
		deliveredAt: new Date(next.deliveredAt!.getTime()),
		updatedAt: new Date(next.updatedAt.getTime()),
		rating: { stars: 4, comment: 'ok' }
	});

	it('finds nothing when the row holds the same values', () => {
		expect(next.rating).toEqual({ stars: 4, comment: 'ok' });
		expect(changedFields(storedRow(), next)).toBeNull();
	});

	it('names exactly the fields that differ', () => {
		const row = { ...storedRow(), status: 'preparing' as const, conflicts: 2 };
		expect(changedFields(row, next)).toEqual({ status: 'delivered', conflicts: 0 });
		const moved = { ...storedRow(), updatedAt: new Date(next.updatedAt.getTime() - 1) };
		expect(changedFields(moved, next)).toEqual({ updatedAt: next.updatedAt });
		const rerated = { ...storedRow(), rating: { stars: 5, comment: 'ok' } };
		expect(changedFields(rerated, next)).toEqual({ rating: { stars: 4, comment: 'ok' } });
	});

	it('a missing field is null; a value of the wrong type is rewritten', () => {
		const row: Record<string, unknown> = { ...storedRow() };
		delete row.cancelledAt;
		expect(changedFields(row as unknown as OrderIndexDoc, next)).toBeNull();
		row.deliveredAt = next.deliveredAt!.toISOString();
		row.rating = 'four';
		expect(changedFields(row as unknown as OrderIndexDoc, next)).toEqual({
			deliveredAt: next.deliveredAt,
			rating: next.rating
		});
		row.partnerId = undefined;
		expect(changedFields(row as unknown as OrderIndexDoc, next)).toMatchObject({
			partnerId: PEOPLE.partner.userId
		});
	});

	it('activity alone is updatedAt and conflicts', () => {
		expect(activityOnly({ updatedAt: new Date(), conflicts: 1 })).toBe(true);
		expect(activityOnly({ updatedAt: new Date(), status: 'delivered' })).toBe(false);
		expect(activityOnly({ rating: null })).toBe(false);
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

describe('dropOlderThan', () => {
	it('keeps only the times after the cutoff (a feed written that long ago counts as never)', () => {
		const times = new Map([
			['feed/a', 1_000],
			['feed/b', 5_000],
			['feed/c', 5_001],
			['feed/d', 9_000]
		]);
		dropOlderThan(times, 5_000);
		expect([...times.keys()]).toEqual(['feed/c', 'feed/d']);
	});
});
