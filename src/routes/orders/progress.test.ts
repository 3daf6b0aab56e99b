import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	appendEvent,
	createEvent,
	readOrder,
	writeAssignment,
	writeMeta,
	type OrderMeta,
	type OrderView
} from '$lib/order';
import { headline, progressSteps } from './progress';

const CUSTOMER = { userId: 'cust1', role: 'customer' as const };
const PARTNER = { userId: 'part1', role: 'partner' as const };
const ADMIN = { userId: 'admin1', role: 'admin' as const };

const meta: OrderMeta = {
	orderId: 'order1',
	items: [{ productId: 'margherita', name: 'Margherita', quantity: 1, unitPrice: 1250 }],
	total: 1250,
	address: { street: '1 Main St', city: 'Springfield', postcode: '12345' },
	phone: '+15550100',
	paymentMethod: 'cod',
	customerId: CUSTOMER.userId,
	customerName: 'Casey',
	createdAt: '2025-01-01T12:00:00.000Z'
};

function order(build: (doc: Y.Doc) => void = () => {}): OrderView {
	const doc = new Y.Doc();
	writeMeta(doc, meta);
	build(doc);
	const view = readOrder(doc);
	if (!view) throw new Error('no view');
	return view;
}

function claim(doc: Y.Doc) {
	writeAssignment(doc, {
		partnerId: PARTNER.userId,
		partnerName: 'Sam',
		claimedAt: '2025-01-01T12:01:00.000Z'
	});
	appendEvent(
		doc,
		createEvent(PARTNER, 'accepted', undefined, new Date('2025-01-01T12:01:00.000Z'))
	);
}

const summary = (view: OrderView, viewer = CUSTOMER.userId) =>
	progressSteps(view, viewer).map((s) => [s.label, s.state, s.who]);

describe('progressSteps', () => {
	it('shows a pending order as placed by you, with every later step still to come', () => {
		expect(summary(order())).toEqual([
			['Placed', 'current', 'you'],
			['Accepted', 'upcoming', null],
			['Preparing', 'upcoming', null],
			['Out for delivery', 'upcoming', null],
			['Delivered', 'upcoming', null]
		]);
	});

	it('names the partner who accepted and moved the order on', () => {
		const view = order((doc) => {
			claim(doc);
			appendEvent(doc, createEvent(PARTNER, 'preparing'));
		});
		expect(summary(view)).toEqual([
			['Placed', 'done', 'you'],
			['Accepted', 'done', 'Sam (partner)'],
			['Preparing', 'current', 'Sam (partner)'],
			['Out for delivery', 'upcoming', null],
			['Delivered', 'upcoming', null]
		]);
		expect(progressSteps(view, CUSTOMER.userId)[1]?.at).toBe('2025-01-01T12:01:00.000Z');
	});

	it('marks every step done once delivered', () => {
		const view = order((doc) => {
			claim(doc);
			for (const type of ['preparing', 'out_for_delivery', 'delivered'] as const) {
				appendEvent(doc, createEvent(PARTNER, type));
			}
		});
		expect(progressSteps(view, CUSTOMER.userId).every((s) => s.state === 'done')).toBe(true);
	});

	it('ends with the cancellation and who made it; steps never reached are left out', () => {
		const byCustomer = order((doc) =>
			appendEvent(doc, createEvent(CUSTOMER, 'cancelled', 'Ordered twice'))
		);
		expect(summary(byCustomer)).toEqual([
			['Placed', 'done', 'you'],
			['Cancelled', 'cancelled', 'you']
		]);
		expect(progressSteps(byCustomer, CUSTOMER.userId)[1]?.note).toBe('Ordered twice');

		const byAdmin = order((doc) => {
			claim(doc);
			appendEvent(doc, createEvent(ADMIN, 'cancelled'));
		});
		expect(summary(byAdmin)).toEqual([
			['Placed', 'done', 'you'],
			['Accepted', 'done', 'Sam (partner)'],
			['Cancelled', 'cancelled', 'an admin']
		]);
	});

	it('ignores events that did not apply (conflicts)', () => {
		const view = order((doc) => {
			appendEvent(doc, createEvent(CUSTOMER, 'cancelled'));
			claim(doc); // lands after the cancellation: a conflict
		});
		expect(view.fold.conflicts).toHaveLength(1);
		expect(summary(view).map(([label]) => label)).toEqual(['Placed', 'Cancelled']);
	});
});

describe('headline', () => {
	it('speaks of the partner by name once assigned', () => {
		expect(headline('pending', null).title).toBe('Waiting for a delivery partner');
		expect(headline('out_for_delivery', 'Sam').title).toBe('Sam is on the way');
		expect(headline('accepted', null).title).toBe('Your delivery partner accepted your order');
		expect(headline('cancelled', null, 'you').detail).toBe('Cancelled by you.');
		// not the status badge's word again
		expect(headline('delivered', 'Sam').title).toBe('Sam delivered your order');
		expect(headline('delivered', null).title).toBe('Your order was delivered');
	});
});
