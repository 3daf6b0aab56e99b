// GET /api/orders and GET /api/orders/<id> against the built web app and FerretDB: scoping per
// role, filters, cursor paging (newest first), bad parameters, and who may read one order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError } from './auth-support.ts';
import {
	claim,
	person,
	placeOrder,
	startOrderStack,
	type OrderStack,
	type Person
} from './orders-support.ts';

let stack: OrderStack;
let alice: Person;
let bob: Person;
let pat: Person;
let quinn: Person;
let admin: Person;
/** Before the first order of this file. */
let startedAt: Date;
/** Orders by creation, oldest first. */
const aliceOrders: string[] = [];
const bobOrders: string[] = [];

beforeAll(async () => {
	stack = await startOrderStack('orders_list');
	[alice, bob, pat, quinn, admin] = await Promise.all([
		person(stack, 'customer', 'Alice'),
		person(stack, 'customer', 'Bob'),
		person(stack, 'partner', 'Pat'),
		person(stack, 'partner', 'Quinn'),
		person(stack, 'admin', 'Root')
	]);
	startedAt = new Date(Date.now() - 1000);
	for (let i = 0; i < 5; i++) aliceOrders.push(await placeOrder(alice));
	for (let i = 0; i < 2; i++) bobOrders.push(await placeOrder(bob));
	// Pat takes two of Alice's and one of Bob's; Quinn one of Alice's; Alice cancels her last
	for (const id of [aliceOrders[0]!, aliceOrders[1]!, bobOrders[0]!]) {
		expect((await claim(pat, id)).status).toBe(200);
	}
	expect((await claim(quinn, aliceOrders[2]!)).status).toBe(200);
	expect((await alice.api.post(`/api/orders/${aliceOrders[4]!}/cancel`)).status).toBe(200);
});

afterAll(async () => {
	await stack?.stop();
});

const ids = (reply: { json: { orders: Array<{ id: string }> } }) =>
	reply.json.orders.map((o) => o.id);
const newestFirst = (list: string[]) => [...list].reverse();

describe('scoping per role', () => {
	it('a customer sees only their own orders, newest first', async () => {
		const reply = await alice.api.get('/api/orders');
		expect(reply.status, reply.text).toBe(200);
		expect(ids(reply)).toEqual(newestFirst(aliceOrders));
		expect(reply.json.nextCursor).toBeNull();
		// a filter on someone else only narrows their own list
		const sneaky = await alice.api.get(`/api/orders?customerId=${bob.userId}`);
		expect(ids(sneaky)).toEqual([]);
	});

	it('a partner sees the orders assigned to them', async () => {
		const reply = await pat.api.get('/api/orders');
		expect(reply.status, reply.text).toBe(200);
		expect(new Set(ids(reply))).toEqual(new Set([aliceOrders[0], aliceOrders[1], bobOrders[0]]));
		expect(reply.json.orders.every((o: { partnerId: string }) => o.partnerId === pat.userId)).toBe(
			true
		);
		expect(ids(await quinn.api.get('/api/orders'))).toEqual([aliceOrders[2]]);
	});

	it('an admin sees everything and filters by status, partner, customer and dates', async () => {
		const all = await admin.api.get('/api/orders?limit=100');
		expect(new Set(ids(all))).toEqual(new Set([...aliceOrders, ...bobOrders]));

		const pending = await admin.api.get('/api/orders?status=pending');
		expect(new Set(ids(pending))).toEqual(new Set([aliceOrders[3], bobOrders[1]]));
		const several = await admin.api.get('/api/orders?status=cancelled,accepted');
		expect(new Set(ids(several))).toEqual(
			new Set([aliceOrders[0], aliceOrders[1], aliceOrders[2], aliceOrders[4], bobOrders[0]])
		);
		const byPartner = await admin.api.get(`/api/orders?partnerId=${quinn.userId}`);
		expect(ids(byPartner)).toEqual([aliceOrders[2]]);
		const byCustomer = await admin.api.get(`/api/orders?customerId=${bob.userId}&status=accepted`);
		expect(ids(byCustomer)).toEqual([bobOrders[0]]);

		const rows = await stack.database.collections.orders
			.find({}, { sort: { createdAt: 1 } })
			.toArray();
		const middle = rows[3]!.createdAt.toISOString();
		const from = await admin.api.get(`/api/orders?limit=100&from=${encodeURIComponent(middle)}`);
		expect(ids(from)).toEqual(newestFirst(rows.slice(3).map((r) => r._id)));
		const to = await admin.api.get(`/api/orders?limit=100&to=${encodeURIComponent(middle)}`);
		expect(ids(to)).toEqual(newestFirst(rows.slice(0, 3).map((r) => r._id)));
		const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
		expect(ids(await admin.api.get(`/api/orders?from=${tomorrow}`))).toEqual([]);
	});
});

describe('paging', () => {
	it('walks every order with limit and cursor, newest first, without repeats', async () => {
		const all = newestFirst([...aliceOrders, ...bobOrders]);
		const expected = (
			await stack.database.collections.orders
				.find({}, { sort: { createdAt: -1, _id: -1 } })
				.toArray()
		).map((r) => r._id);
		expect(new Set(expected)).toEqual(new Set(all));
		const seen: string[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const query: string = `/api/orders?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
			const reply = await admin.api.get(query);
			expect(reply.status, reply.text).toBe(200);
			expect(reply.json.orders.length).toBeLessThanOrEqual(3);
			seen.push(...ids(reply));
			cursor = reply.json.nextCursor;
			pages++;
		} while (cursor && pages < 10);
		expect(pages).toBe(3);
		expect(seen).toEqual(expected);
	});

	it('the default page size is 20', async () => {
		const reply = await admin.api.get('/api/orders');
		expect(reply.json.orders.length).toBe(7);
	});
});

describe('the board’s finished orders and numbers', () => {
	it('filters by city and by last activity, and pages by last activity, latest first', async () => {
		const row = await stack.database.collections.orders.findOne({ _id: aliceOrders[0]! });
		const city = row!.city;
		expect(new Set(ids(await admin.api.get(`/api/orders?limit=100&city=${city}`)))).toEqual(
			new Set([...aliceOrders, ...bobOrders])
		);
		expect(ids(await admin.api.get('/api/orders?city=Atlantis'))).toEqual([]);

		const since = encodeURIComponent(startedAt.toISOString());
		const finished = await admin.api.get(
			`/api/orders?status=delivered,cancelled&updatedFrom=${since}&sort=updated`
		);
		expect(ids(finished)).toEqual([aliceOrders[4]]);
		const later = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
		expect(ids(await admin.api.get(`/api/orders?updatedFrom=${later}`))).toEqual([]);

		const expected = (
			await stack.database.collections.orders
				.find({}, { sort: { updatedAt: -1, _id: -1 } })
				.toArray()
		).map((r) => r._id);
		const seen: string[] = [];
		let cursor: string | null = null;
		for (let pages = 0; pages < 10; pages++) {
			const reply = await admin.api.get(
				`/api/orders?sort=updated&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
			);
			expect(reply.status, reply.text).toBe(200);
			seen.push(...ids(reply));
			cursor = reply.json.nextCursor;
			if (!cursor) break;
		}
		expect(seen).toEqual(expected);
		// a cursor of one order does not page the other
		const first = await admin.api.get('/api/orders?sort=updated&limit=1');
		const mixed = await admin.api.get(
			`/api/orders?limit=1&cursor=${encodeURIComponent(first.json.nextCursor)}`
		);
		expectApiError(mixed, 400, 'invalid_input', 'cursor');
	});

	it('GET /api/orders/stats counts a span for admins only', async () => {
		const from = encodeURIComponent(startedAt.toISOString());
		const reply = await admin.api.get(`/api/orders/stats?from=${from}`);
		expect(reply.status, reply.text).toBe(200);
		expect(reply.json.stats).toMatchObject({
			placed: 7,
			delivered: 0,
			cancelled: 1,
			revenue: 0,
			revenueByCurrency: { USD: 0 },
			averageDeliveryMs: null
		});
		const later = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
		expect((await admin.api.get(`/api/orders/stats?from=${later}`)).json.stats.placed).toBe(0);
		expectApiError(await alice.api.get(`/api/orders/stats?from=${from}`), 403, 'forbidden');
		expectApiError(await pat.api.get(`/api/orders/stats?from=${from}`), 403, 'forbidden');
		expectApiError(await admin.api.get('/api/orders/stats'), 400, 'invalid_input', 'from');
		expectApiError(
			await admin.api.get(`/api/orders/stats?from=${from}&colour=blue`),
			400,
			'invalid_input',
			'colour'
		);
	});
});

describe('bad query parameters are a 400 naming the parameter', () => {
	const cases: Array<[string, string]> = [
		['status=lost', 'status'],
		['status=pending,bogus', 'status'],
		['limit=0', 'limit'],
		['limit=101', 'limit'],
		['limit=ten', 'limit'],
		['from=yesterday', 'from'],
		['to=2024-13-45', 'to'],
		['from=2025-02-01&to=2025-01-01', 'to'],
		['cursor=not-a-cursor', 'cursor'],
		['partnerId=NOT*AN*ID', 'partnerId'],
		['customerId=', 'customerId'],
		['city=', 'city'],
		['updatedFrom=soon', 'updatedFrom'],
		['updatedFrom=2025-02-01&updatedTo=2025-01-01', 'updatedTo'],
		['sort=random', 'sort'],
		['limit=5&limit=6', 'limit'],
		['colour=blue', 'colour']
	];
	it.each(cases)('?%s → 400 on %s', async (query, field) => {
		const reply = await admin.api.get(`/api/orders?${query}`);
		expectApiError(reply, 400, 'invalid_input', field);
	});
	it('signed out → 401', async () => {
		const reply = await fetch(`${stack.web.url}/api/orders`);
		expect(reply.status).toBe(401);
	});
});

describe('GET /api/orders/<id>', () => {
	it('whoever may see it gets the row; others 404, as for an unknown order', async () => {
		const id = aliceOrders[0]!;
		for (const viewer of [alice, pat, admin]) {
			const reply = await viewer.api.get(`/api/orders/${id}`);
			expect(reply.status, reply.text).toBe(200);
			expect(reply.json.order).toMatchObject({
				id,
				docName: `order/${id}`,
				customerId: alice.userId,
				customerName: 'Alice',
				partnerId: pat.userId,
				partnerName: 'Pat',
				status: 'accepted',
				city: 'London'
			});
			expect(typeof reply.json.order.claimedAt).toBe('string');
		}
		expectApiError(await bob.api.get(`/api/orders/${id}`), 404, 'not_found');
		expectApiError(await quinn.api.get(`/api/orders/${id}`), 404, 'not_found');
		// an open order may be looked at by any partner before claiming it
		expect((await quinn.api.get(`/api/orders/${aliceOrders[3]!}`)).status).toBe(200);
		expectApiError(await admin.api.get('/api/orders/doesnotexist1'), 404, 'not_found');
	});
});
