// The web app's edges, over real HTTP against the built app, the real sync-server and FerretDB:
// every API error is JSON in the documented shape (413, 405, 404, 415), every state-changing
// request is Origin-checked whatever its content type, names and addresses refuse invisible and
// text-direction characters (API and form actions), and someone else's order is answered exactly
// like an unknown one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/lib/shared/ids.ts';
import { Client, expectApiError, uniqueEmail, type Reply } from './auth-support.ts';
import {
	P1,
	orderBody,
	person,
	placeOrder,
	startOrderStack,
	type OrderStack,
	type Person
} from './orders-support.ts';

let stack: OrderStack;
let customer: Person;
let stranger: Person;
let partner: Person;
let otherPartner: Person;

beforeAll(async () => {
	stack = await startOrderStack('api_hardening');
	[customer, stranger, partner, otherPartner] = await Promise.all([
		person(stack, 'customer', 'Cora Customer'),
		person(stack, 'customer', 'Stan Stranger'),
		person(stack, 'partner', 'Pia Partner'),
		person(stack, 'partner', 'Otto Other')
	]);
	await stack.database.collections.users.updateMany(
		{ _id: { $in: [partner.userId, otherPartner.userId] } },
		{ $set: { partner: { phone: '+44 20 7946 0001', vehicle: 'bicycle', available: true } } }
	);
});

afterAll(async () => {
	await stack?.stop();
});

const JSON_TYPE = { 'content-type': 'application/json' };
const EVIL = 'https://evil.example';

/** An order id that exists nowhere, of the same shape and length as real ones. */
const unknownOrderId = () => randomId();

async function orderRow(id: string) {
	return stack.database.collections.orders.findOne({ _id: id });
}

/** A request whose body is streamed (Transfer-Encoding: chunked, no Content-Length). */
async function postChunked(who: Person, path: string, bytes: number): Promise<Reply> {
	const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
	let sent = 0;
	const body = new ReadableStream<Uint8Array>({
		pull(controller) {
			if (sent >= bytes) return controller.close();
			sent += chunk.byteLength;
			controller.enqueue(chunk);
		}
	});
	const headers: Record<string, string> = {
		...JSON_TYPE,
		cookie: `dispatch_session=${who.api.sessionToken}`
	};
	const res = await fetch(stack.web.url + path, {
		method: 'POST',
		headers,
		body,
		duplex: 'half',
		signal: AbortSignal.timeout(20_000)
	} as RequestInit);
	const text = await res.text();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, headers: res.headers, text, json };
}

describe('every API error is JSON in the documented shape', () => {
	it('a 1 MB body to cancel, 5 MB to create: 413 JSON, and the order is untouched', async () => {
		const orderId = await placeOrder(customer);
		const reply = await customer.api.request('POST', `/api/orders/${orderId}/cancel`, {
			body: JSON.stringify({ reason: 'x'.repeat(1_000_000) }),
			headers: JSON_TYPE
		});
		expectApiError(reply, 413, 'body_too_large');
		const huge = await customer.api.request('POST', '/api/orders', {
			body: JSON.stringify({ address: 'x'.repeat(5_000_000) }),
			headers: JSON_TYPE
		});
		expectApiError(huge, 413, 'body_too_large');
		expect((await orderRow(orderId))?.status).toBe('pending');
	});

	it('a cancel with a body that is not JSON: 415, as for order creation, and the order is untouched', async () => {
		const orderId = await placeOrder(customer);
		const xml = await customer.api.request('POST', `/api/orders/${orderId}/cancel`, {
			body: JSON.stringify({ reason: 'via xml' }),
			headers: { 'content-type': 'application/xml' }
		});
		expectApiError(xml, 415, 'unsupported_content_type');
		const list = await customer.api.request('POST', `/api/orders/${orderId}/cancel`, {
			body: '[]',
			headers: JSON_TYPE
		});
		expectApiError(list, 400, 'invalid_json');
		expect((await orderRow(orderId))?.status).toBe('pending');
		// no body at all (of any type) still cancels without a reason
		const bare = await customer.api.request('POST', `/api/orders/${orderId}/cancel`);
		expect(bare.status).toBe(200);
	});

	it('a chunked body over the limit: 413 JSON on cancel and on order creation', async () => {
		const orderId = await placeOrder(customer);
		expectApiError(
			await postChunked(customer, `/api/orders/${orderId}/cancel`, 1_000_000),
			413,
			'body_too_large'
		);
		expectApiError(await postChunked(customer, '/api/orders', 200_000), 413, 'body_too_large');
		// far past adapter-node's own limit too: the client can still send it all and read the 413
		expectApiError(await postChunked(customer, '/api/orders', 5_000_000), 413, 'body_too_large');
		expect((await orderRow(orderId))?.status).toBe('pending');
		// a small chunked body is read as usual
		const small = await postChunked(customer, `/api/orders/${orderId}/cancel`, 1);
		expect(small.status, small.text).toBe(200);
	});

	it('a method a route does not take: 405 JSON with an Allow header', async () => {
		for (const [method, path, allowed] of [
			['DELETE', `/api/orders/${unknownOrderId()}/cancel`, 'POST'],
			['PUT', '/api/orders', 'GET'],
			['POST', '/api/me', 'GET']
		] as const) {
			const reply = await customer.api.request(method, path);
			expectApiError(reply, 405, 'method_not_allowed');
			expect(reply.headers.get('allow'), path).toContain(allowed);
			expect(reply.json.error.message).toContain(allowed);
		}
	});

	it('an unknown API path: 404 JSON', async () => {
		expectApiError(await customer.api.get('/api/no-such-thing'), 404, 'not_found');
		expectApiError(
			await customer.api.request('POST', `/api/orders/${unknownOrderId()}/no-such-action`),
			404,
			'not_found'
		);
		expectApiError(await new Client(stack.web.url).get('/api'), 404, 'not_found');
	});

	it('a body that is not JSON: 415 JSON', async () => {
		const reply = await customer.api.request('POST', '/api/orders', {
			body: '<order/>',
			headers: { 'content-type': 'application/xml' }
		});
		expectApiError(reply, 415, 'unsupported_content_type');
		// (fetch sends a string body as text/plain, a form type: same-origin, as a browser would)
		const plain = await partner.api.request('POST', '/api/partner/availability', {
			body: '{"available": true}',
			headers: { origin: stack.web.url }
		});
		expect(plain.headers.get('content-type')).toMatch(/json/);
		expectApiError(plain, 415, 'unsupported_content_type');
	});
});

describe('Origin is checked on every state-changing request', () => {
	it('refuses a body-less cross-origin POST to cancel, claim and logout with 403 JSON', async () => {
		const orderId = await placeOrder(customer);
		const evil = { origin: EVIL };
		expectApiError(
			await customer.api.request('POST', `/api/orders/${orderId}/cancel`, { headers: evil }),
			403,
			'forbidden_origin'
		);
		expectApiError(
			await partner.api.request('POST', `/api/orders/${orderId}/claim`, { headers: evil }),
			403,
			'forbidden_origin'
		);
		expect(await orderRow(orderId)).toMatchObject({ status: 'pending', partnerId: null });

		const session = new Client(stack.web.url);
		session.setSessionToken(customer.api.sessionToken!);
		expectApiError(
			await session.request('POST', '/api/auth/logout', { headers: evil }),
			403,
			'forbidden_origin'
		);
		expect(session.sessionToken).toBe(customer.api.sessionToken);
		expect((await customer.api.get('/api/me')).status).toBe(200);
	});

	it('refuses a cross-origin JSON POST, and Sec-Fetch-Site: cross-site without an Origin', async () => {
		const before = await stack.database.collections.orders.countDocuments({
			customerId: customer.userId
		});
		for (const headers of [
			{ ...JSON_TYPE, origin: EVIL },
			{ ...JSON_TYPE, origin: 'null' },
			{ ...JSON_TYPE, 'sec-fetch-site': 'cross-site' }
		]) {
			const reply = await customer.api.request('POST', '/api/orders', {
				body: JSON.stringify(orderBody()),
				headers
			});
			expectApiError(reply, 403, 'forbidden_origin');
		}
		expect(
			await stack.database.collections.orders.countDocuments({ customerId: customer.userId })
		).toBe(before);
	});

	it('refuses a cross-origin form post to a page with a plain 403 page', async () => {
		const reply = await customer.api.request('POST', '/account?/profile', {
			body: new URLSearchParams({ name: 'Hijacked' }).toString(),
			headers: {
				'content-type': 'application/x-www-form-urlencoded',
				origin: EVIL,
				accept: 'text/html'
			}
		});
		expect(reply.status).toBe(403);
		expect(reply.headers.get('content-type')).toMatch(/text\/html/);
		expect(reply.text).toContain('Request refused');
		const user = await stack.database.collections.users.findOne({ _id: customer.userId });
		expect(user?.name).toBe('Cora Customer');
	});

	it('lets same-origin and Origin-less requests through', async () => {
		const first = await placeOrder(customer);
		const same = await customer.api.request('POST', `/api/orders/${first}/cancel`, {
			headers: { origin: stack.web.url, 'sec-fetch-site': 'same-origin' }
		});
		expect(same.status, same.text).toBe(200);
		const second = await placeOrder(customer); // (no Origin header: a non-browser client)
		const claimed = await partner.api.request('POST', `/api/orders/${second}/claim`);
		expect(claimed.status, claimed.text).toBe(200);

		const session = new Client(stack.web.url);
		await session.post('/api/auth/register', {
			email: uniqueEmail('origin'),
			password: 'long enough password',
			name: 'Leaving Soon'
		});
		const out = await session.request('POST', '/api/auth/logout', {
			headers: { origin: stack.web.url }
		});
		expect(out.status).toBe(204);
		expect(session.sessionToken).toBeUndefined();
	});
});

describe('names and addresses refuse invisible and text-direction characters', () => {
	const RLO = '\u202E';
	const ZWSP = '\u200B';
	const INVISIBLE = /must not contain invisible or text-direction characters/;

	it('registration names the field: name, partner.phone', async () => {
		const base = { email: uniqueEmail('bidi'), password: 'long enough password' };
		const name = await new Client(stack.web.url).post('/api/auth/register', {
			...base,
			name: `Eve${RLO}gnp.exe`
		});
		expectApiError(name, 400, 'invalid_input', 'name');
		expect(name.json.error.message).toMatch(INVISIBLE);
		const phone = await new Client(stack.web.url).post('/api/auth/register', {
			...base,
			name: 'Pat',
			role: 'partner',
			partner: { phone: `+44 20${ZWSP} 7946 0000`, vehicle: 'car' }
		});
		expectApiError(phone, 400, 'invalid_input', 'partner.phone');
	});

	it.each([
		[
			'address.street',
			{ address: { street: `12 Baker${RLO} St`, city: 'London', postcode: 'N1' } }
		],
		['address.city', { address: { street: '12 Baker St', city: `Lon${ZWSP}don`, postcode: 'N1' } }],
		[
			'address.postcode',
			{ address: { street: '12 Baker St', city: 'London', postcode: `N1\u2066 6XE` } }
		],
		[
			'address.notes',
			{ address: { street: '1 A St', city: 'London', postcode: 'N1', notes: `Ring\uFEFF twice` } }
		],
		['phone', { phone: `+44 20 7946${'\u2060'}0000` }]
	])('order creation names %s', async (field, overrides) => {
		const reply = await customer.api.post('/api/orders', orderBody(overrides));
		expectApiError(reply, 400, 'invalid_input', field);
		expect(reply.json.error.message).toMatch(INVISIBLE);
	});

	it('the checkout form shows the field error', async () => {
		const reply = await customer.api.submitForm('/checkout', {
			items: JSON.stringify([{ productId: P1.id, quantity: 1 }]),
			'address.street': `12 Baker${RLO} Street`,
			'address.city': 'London',
			'address.postcode': 'NW1 6XE',
			'address.notes': '',
			phone: '+44 20 7946 0000',
			paymentMethod: 'cod'
		});
		expect(reply.status).toBe(400);
		expect(reply.text).toMatch(/Street must not contain invisible or text-direction characters/);
	});

	it('the account form shows the field error, and the name is not saved', async () => {
		const reply = await stranger.api.submitForm('/account?/profile', { name: `Stan${ZWSP}` });
		expect(reply.status).toBe(400);
		expect(reply.text).toMatch(/Name must not contain invisible or text-direction characters/);
		const user = await stack.database.collections.users.findOne({ _id: stranger.userId });
		expect(user?.name).toBe('Stan Stranger');
	});
});

describe('someone else’s order is answered like an unknown one', () => {
	/** The two replies, with each one's order id replaced, are the same. */
	function expectSame(mine: Reply, unknown: Reply, ids: [string, string]) {
		expect(mine.status).toBe(unknown.status);
		expect(mine.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
		expect(mine.text.replaceAll(ids[0], '<id>')).toBe(unknown.text.replaceAll(ids[1], '<id>'));
	}

	it('GET /api/orders/<id>, cancel and claim', async () => {
		const orderId = await placeOrder(customer);
		const unknown = unknownOrderId();
		const ids: [string, string] = [orderId, unknown];
		const get = (who: Person, id: string) => who.api.get(`/api/orders/${id}`);
		const cancel = (who: Person, id: string) => who.api.post(`/api/orders/${id}/cancel`);
		const claim = (who: Person, id: string) => who.api.post(`/api/orders/${id}/claim`);

		const seen = await get(stranger, orderId);
		expectApiError(seen, 404, 'not_found');
		expectSame(seen, await get(stranger, unknown), ids);
		const cancelled = await cancel(stranger, orderId);
		expectApiError(cancelled, 404, 'not_found');
		expectSame(cancelled, await cancel(stranger, unknown), ids);
		// customers may not claim at all: the same 403 whether the order exists or not
		expectSame(await claim(stranger, orderId), await claim(stranger, unknown), ids);
		expect((await orderRow(orderId))?.status).toBe('pending');

		// once a partner has it, other partners get the same 404 as for an unknown order
		expect((await claim(partner, orderId)).status).toBe(200);
		const other = await get(otherPartner, orderId);
		expectApiError(other, 404, 'not_found');
		expectSame(other, await get(otherPartner, unknown), ids);
		expectSame(await cancel(otherPartner, orderId), await cancel(otherPartner, unknown), ids);
	});

	it('the order pages and their cancel action', async () => {
		const orderId = await placeOrder(customer);
		const unknown = unknownOrderId();
		const ids: [string, string] = [orderId, unknown];
		const html = { accept: 'text/html' };

		const page = await stranger.api.get(`/orders/${orderId}`, html);
		expect(page.status).toBe(404);
		expectSame(page, await stranger.api.get(`/orders/${unknown}`, html), ids);

		const action = await stranger.api.submitForm(`/orders/${orderId}?/cancel`, { reason: '' });
		expect(action.status).toBe(404);
		expectSame(
			action,
			await stranger.api.submitForm(`/orders/${unknown}?/cancel`, { reason: '' }),
			ids
		);
		expect((await orderRow(orderId))?.status).toBe('pending');

		expect((await partner.api.post(`/api/orders/${orderId}/claim`)).status).toBe(200);
		const partnerPage = await otherPartner.api.get(`/partner/orders/${orderId}`, html);
		expect(partnerPage.status).toBe(404);
		expectSame(partnerPage, await otherPartner.api.get(`/partner/orders/${unknown}`, html), ids);
	});
});
