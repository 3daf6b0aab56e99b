// POST /api/orders against the built web app, the real sync-server and FerretDB: validation of
// every field, server-side pricing, the document's meta as the customer's client sees it,
// idempotency keys, who may order, and a sync-server outage leaving nothing behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOrder, readMeta, orderDocName } from '../../src/lib/order/index.ts';
import { expectApiError } from './auth-support.ts';
import {
	orderBody,
	openDoc,
	P1,
	P2,
	person,
	placeOrder,
	SOLD_OUT,
	startOrderStack,
	type OrderStack,
	type Person
} from './orders-support.ts';

let stack: OrderStack;
let customer: Person;

beforeAll(async () => {
	stack = await startOrderStack('orders_create');
	customer = await person(stack, 'customer', 'Cora Customer');
});

afterAll(async () => {
	await stack?.stop();
});

const address = { street: '12 Baker Street', city: 'London', postcode: 'NW1 6XE' };

describe('validation: each bad field is a 400 naming it', () => {
	const cases: Array<[string, Record<string, unknown>, string]> = [
		['items missing', { items: undefined }, 'items'],
		['items not a list', { items: 'pizza' }, 'items'],
		['items empty', { items: [] }, 'items'],
		[
			'more than 50 lines',
			{ items: Array.from({ length: 51 }, () => ({ productId: P1.id, quantity: 1 })) },
			'items'
		],
		['line not an object', { items: [42] }, 'items.0'],
		['productId missing', { items: [{ quantity: 1 }] }, 'items.0.productId'],
		['productId not a string', { items: [{ productId: 7, quantity: 1 }] }, 'items.0.productId'],
		['quantity zero', { items: [{ productId: P1.id, quantity: 0 }] }, 'items.0.quantity'],
		['quantity 51', { items: [{ productId: P1.id, quantity: 51 }] }, 'items.0.quantity'],
		['quantity fractional', { items: [{ productId: P1.id, quantity: 1.5 }] }, 'items.0.quantity'],
		['quantity a string', { items: [{ productId: P1.id, quantity: '2' }] }, 'items.0.quantity'],
		[
			'second line bad',
			{
				items: [
					{ productId: P1.id, quantity: 1 },
					{ productId: P2.id, quantity: -1 }
				]
			},
			'items.1.quantity'
		],
		[
			'merged duplicates over 50',
			{
				items: [
					{ productId: P1.id, quantity: 30 },
					{ productId: P1.id, quantity: 30 }
				]
			},
			'items.0.quantity'
		],
		[
			'unknown product',
			{
				items: [
					{ productId: P1.id, quantity: 1 },
					{ productId: 'no-such-dish', quantity: 1 }
				]
			},
			'items.1.productId'
		],
		['address missing', { address: undefined }, 'address'],
		['address not an object', { address: 'Baker Street' }, 'address'],
		['street empty', { address: { ...address, street: '   ' } }, 'address.street'],
		['city missing', { address: { street: 'x', postcode: '1' } }, 'address.city'],
		[
			'postcode too long',
			{ address: { ...address, postcode: 'x'.repeat(21) } },
			'address.postcode'
		],
		['notes not a string', { address: { ...address, notes: 5 } }, 'address.notes'],
		['phone missing', { phone: undefined }, 'phone'],
		['phone not a number', { phone: 'call me maybe' }, 'phone'],
		['payment method unknown', { paymentMethod: 'cash' }, 'paymentMethod'],
		['client order id malformed', { clientOrderId: 'no spaces allowed' }, 'clientOrderId']
	];
	it.each(cases)('%s → 400 on %s', async (_label, overrides, field) => {
		const reply = await customer.api.post('/api/orders', orderBody(overrides));
		expect(reply.status, reply.text).toBe(400);
		expect(reply.json.error.field, reply.text).toBe(field);
		expect(reply.json.error.message.length).toBeGreaterThan(5);
	});

	it('a sold-out product is a 400 on its line', async () => {
		expect(SOLD_OUT, 'the demo menu has a sold-out product').toBeDefined();
		const reply = await customer.api.post(
			'/api/orders',
			orderBody({ items: [{ productId: SOLD_OUT!.id, quantity: 1 }] })
		);
		expectApiError(reply, 400, 'product_unavailable', 'items.0.productId');
	});

	it('a body that is not JSON, or not an object, is a 400', async () => {
		const notJson = await customer.api.request('POST', '/api/orders', {
			body: '{"items": [',
			headers: { 'content-type': 'application/json' }
		});
		expectApiError(notJson, 400, 'invalid_json');
		const array = await customer.api.post('/api/orders', [orderBody()]);
		expectApiError(array, 400, 'invalid_json');
	});

	it('nothing was written by the refused requests', async () => {
		const rows = await stack.database.collections.orders.countDocuments({
			customerId: customer.userId
		});
		expect(rows).toBe(0);
	});
});

describe('payment methods and what checkout remembers', () => {
	it('refuses a method the shop does not take (PAYMENT_METHODS: cod,card by default)', async () => {
		const reply = await customer.api.post('/api/orders', orderBody({ paymentMethod: 'upi' }));
		expectApiError(reply, 400, 'invalid_input', 'paymentMethod');
		expect(reply.json.error.message).toMatch(/cash on delivery, card on delivery/);
	});

	it('saves the address as the last used (once per place) and the phone', async () => {
		const shopper = await person(stack, 'customer');
		const first = orderBody({
			address: { street: '1 Mill Lane', city: 'Ely', postcode: 'CB7 4AA' },
			phone: '+44 1353 000000'
		});
		expect((await shopper.api.post('/api/orders', first)).status).toBe(201);
		const second = orderBody({
			address: { street: '9 Fore Street', city: 'Ely', postcode: 'CB7 4BB', notes: 'Side door' },
			phone: '+44 1353 111111'
		});
		expect((await shopper.api.post('/api/orders', second)).status).toBe(201);
		// the first place again, written differently: the same saved address, now the last used
		const again = orderBody({
			address: { street: '1  mill lane', city: 'ELY', postcode: 'cb7 4aa' },
			phone: '+44 1353 111111'
		});
		expect((await shopper.api.post('/api/orders', again)).status).toBe(201);
		const user = await stack.database.collections.users.findOne({ _id: shopper.userId });
		expect(user?.customer?.phone).toBe('+44 1353 111111');
		const saved = [...user!.customer!.addresses].sort(
			(a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime()
		);
		expect(saved.map((a) => a.street)).toEqual(['1  mill lane', '9 Fore Street']);
		expect(saved[1]!.notes).toBe('Side door');
	});
});

describe('creating an order', () => {
	it('prices on the server in the shop’s currency (client prices ignored), 201 {id, docName}, meta visible to the customer', async () => {
		const reply = await customer.api.post(
			'/api/orders',
			orderBody({
				items: [
					{ productId: P1.id, quantity: 2, unitPrice: 1, price: 1, name: 'Free pizza' },
					{ productId: P2.id, quantity: 1, unitPrice: 0 },
					{ productId: P1.id, quantity: 1 }
				],
				total: 3,
				currency: 'EUR',
				address: { ...address, notes: '  Ring twice  ' },
				customerId: 'somebodyelse'
			})
		);
		expect(reply.status, reply.text).toBe(201);
		const { id, docName } = reply.json as { id: string; docName: string };
		expect(docName).toBe(orderDocName(id));
		const expectedTotal = P1.price * 3 + P2.price;

		const row = await stack.database.collections.orders.findOne({ _id: id });
		expect(row).toMatchObject({
			customerId: customer.userId,
			customerName: 'Cora Customer',
			status: 'pending',
			partnerId: null,
			total: expectedTotal,
			itemCount: 4,
			city: 'London',
			paymentMethod: 'cod',
			// the shop's CURRENCY (USD here), whatever the body said
			currency: 'USD'
		});

		const client = await openDoc(stack, customer, docName);
		try {
			const meta = readMeta(client.doc);
			expect(meta).not.toBeNull();
			expect(meta!.orderId).toBe(id);
			expect(meta!.customerId).toBe(customer.userId);
			expect(meta!.total).toBe(expectedTotal);
			expect(meta!.currency).toBe('USD');
			// duplicates merged, catalog names and prices
			expect(meta!.items).toEqual([
				{ productId: P1.id, name: P1.name, quantity: 3, unitPrice: P1.price },
				{ productId: P2.id, name: P2.name, quantity: 1, unitPrice: P2.price }
			]);
			expect(meta!.address).toEqual({ ...address, notes: 'Ring twice' });
			expect(meta!.phone).toBe('+44 20 7946 0000');
			expect(readOrder(client.doc)?.status).toBe('pending');
		} finally {
			client.destroy();
		}

		const fetched = await customer.api.get(`/api/orders/${id}`);
		expect(fetched.status, fetched.text).toBe(200);
		expect(fetched.json.order).toMatchObject({
			id,
			status: 'pending',
			total: expectedTotal,
			currency: 'USD'
		});
	});

	it('only customers may order; signed-out callers get 401', async () => {
		const partner = await person(stack, 'partner');
		const admin = await person(stack, 'admin');
		expectApiError(await partner.api.post('/api/orders', orderBody()), 403, 'forbidden');
		expectApiError(await admin.api.post('/api/orders', orderBody()), 403, 'forbidden');
		const anonymous = await fetch(`${stack.web.url}/api/orders`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(orderBody())
		});
		expect(anonymous.status).toBe(401);
	});
});

describe('idempotency', () => {
	it('the same Idempotency-Key creates one order; retries get the same id', async () => {
		const shopper = await person(stack, 'customer');
		const key = 'checkout-7f3a9c21';
		const send = () =>
			shopper.api.request('POST', '/api/orders', {
				json: orderBody(),
				headers: { 'idempotency-key': key }
			});
		const first = await send();
		expect(first.status, first.text).toBe(201);
		const again = await send();
		expect(again.status, again.text).toBe(201);
		expect(again.json.id).toBe(first.json.id);
		expect(again.headers.get('idempotent-replayed')).toBe('true');
		// concurrent retries (an offline queue flushing twice) still make one order
		const burst = await Promise.all([send(), send(), send()]);
		for (const reply of burst) {
			expect(reply.status, reply.text).toBe(201);
			expect(reply.json.id).toBe(first.json.id);
		}
		expect(
			await stack.database.collections.orders.countDocuments({ customerId: shopper.userId })
		).toBe(1);
	});

	it('clientOrderId in the body works like the header; keys are per customer', async () => {
		const a = await person(stack, 'customer');
		const b = await person(stack, 'customer');
		const key = 'offline-queue-0001';
		const first = await a.api.post('/api/orders', orderBody({ clientOrderId: key }));
		const retry = await a.api.post('/api/orders', orderBody({ clientOrderId: key }));
		const other = await b.api.post('/api/orders', orderBody({ clientOrderId: key }));
		expect(first.status, first.text).toBe(201);
		expect(retry.json.id).toBe(first.json.id);
		expect(other.status, other.text).toBe(201);
		expect(other.json.id).not.toBe(first.json.id);
	});

	it('a key reused for a different order is a 409; a bad header is a 400', async () => {
		const shopper = await person(stack, 'customer');
		const headers = { 'idempotency-key': 'reused-key-123' };
		const first = await shopper.api.request('POST', '/api/orders', { json: orderBody(), headers });
		expect(first.status, first.text).toBe(201);
		const different = await shopper.api.request('POST', '/api/orders', {
			json: orderBody({ paymentMethod: 'card' }),
			headers
		});
		expectApiError(different, 409, 'idempotency_conflict');
		const bad = await shopper.api.request('POST', '/api/orders', {
			json: orderBody(),
			headers: { 'idempotency-key': 'x' }
		});
		expectApiError(bad, 400, 'invalid_input', 'Idempotency-Key');
		const mismatch = await shopper.api.request('POST', '/api/orders', {
			json: orderBody({ clientOrderId: 'another-key-456' }),
			headers
		});
		expectApiError(mismatch, 400, 'invalid_input', 'clientOrderId');
	});
});

describe('sync-server outage', () => {
	it('answers 503 sync_unavailable and leaves no index row or idempotency record', async () => {
		const shopper = await person(stack, 'customer');
		// an order placed before the outage, to show existing data is untouched
		const before = await placeOrder(shopper);
		await stack.stopSync();
		const reply = await shopper.api.request('POST', '/api/orders', {
			json: orderBody(),
			headers: { 'idempotency-key': 'during-outage-1' }
		});
		expectApiError(reply, 503, 'sync_unavailable');
		const rows = await stack.database.collections.orders
			.find({ customerId: shopper.userId })
			.toArray();
		expect(rows.map((r) => r._id)).toEqual([before]);
		expect(
			await stack.database.collections.orderRequests.countDocuments({ customerId: shopper.userId })
		).toBe(0);
	});
});
