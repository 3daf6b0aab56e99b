import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	appendEvent,
	createEvent,
	readOrder,
	writeAssignment,
	writeMeta,
	type OrderView
} from '$lib/order';
import { timelineRows } from './timeline.ts';

function order(): { doc: Y.Doc; view: () => OrderView } {
	const doc = new Y.Doc();
	writeMeta(doc, {
		orderId: 'o1',
		items: [{ productId: 'p', name: 'Margherita', quantity: 1, unitPrice: 1250 }],
		total: 1250,
		address: { street: '1 Main St', city: 'Springfield', postcode: '12345' },
		phone: '+15550100',
		paymentMethod: 'cod',
		customerId: 'cust',
		customerName: 'Casey',
		createdAt: '2025-03-04T10:00:00.000Z'
	});
	return { doc, view: () => readOrder(doc)! };
}

describe('timelineRows', () => {
	it('names each author and keeps conflicting events with their reason', () => {
		const { doc, view } = order();
		writeAssignment(doc, {
			partnerId: 'sam',
			partnerName: 'Sam',
			claimedAt: '2025-03-04T10:01:00Z'
		});
		const partner = { userId: 'sam', role: 'partner' as const };
		const admin = { userId: 'ada', role: 'admin' as const };
		appendEvent(doc, createEvent(partner, 'accepted'));
		appendEvent(doc, createEvent(admin, 'cancelled', 'Restaurant closed'));
		appendEvent(doc, createEvent(partner, 'preparing'));
		const rows = timelineRows(view());
		expect(rows.map((r) => [r.label, r.who, r.applied])).toEqual([
			['Placed', 'Casey (customer)', true],
			['Accepted', 'Sam (partner)', true],
			['Cancelled', 'an admin', true],
			['Preparing', 'Sam (partner)', false]
		]);
		expect(rows[2]!.note).toBe('Restaurant closed');
		expect(rows.map((r) => r.cancel)).toEqual([false, false, true, false]);
		expect(rows[3]!.conflict).toBe('the order was already cancelled, which is final');
		expect(rows[3]!.by).toBe('sam');
	});
});
