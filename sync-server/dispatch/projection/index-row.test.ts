import { describe, expect, it } from 'vitest';
import { readOrder } from '../../../src/lib/order/index.ts';
import { serverDoc, PEOPLE } from '../../../src/lib/order/test-fixtures.ts';
import type { OrderIndexDoc } from '../../../src/lib/shared/db.ts';
import { activityOnly, changedFields, projectIndex } from './index-row.ts';

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
