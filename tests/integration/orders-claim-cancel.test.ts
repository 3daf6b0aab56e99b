// Claims and cancellations against the built web app, the real sync-server and FerretDB: a race
// of eight partners with exactly one winner whose assignment is in the document, the losers
// locked out of the order's room, and cancel rules for every role and status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	appendEvent,
	createEvent,
	orderDocName,
	readAssignment,
	readOrder
} from '../../src/lib/order/index.ts';
import { actorOf, eventually, headersFor, tryUpgrade } from '../support/sync-clients.ts';
import { expectApiError } from './auth-support.ts';
import {
	claim,
	openDoc,
	person,
	placeOrder,
	startOrderStack,
	until,
	type OrderStack,
	type Person
} from './orders-support.ts';

let stack: OrderStack;
let customer: Person;
let partners: Person[];
let admin: Person;

beforeAll(async () => {
	// info: a lost race is logged at that level, and the test below reads it
	stack = await startOrderStack('orders_claim', { webEnv: { LOG_LEVEL: 'info' } });
	customer = await person(stack, 'customer', 'Cleo Customer');
	admin = await person(stack, 'admin', 'Ada Admin');
	partners = await Promise.all(
		Array.from({ length: 8 }, (_, i) => person(stack, 'partner', `Partner ${i + 1}`))
	);
});

afterAll(async () => {
	await stack?.stop();
});

describe('claims', () => {
	it('8 partners claim at once: exactly one 200, seven 409 already_taken', async () => {
		const orderId = await placeOrder(customer);
		const replies = await Promise.all(partners.map((p) => claim(p, orderId)));
		const winners = replies.flatMap((reply, i) => (reply.status === 200 ? [partners[i]!] : []));
		const losers = replies.filter((reply) => reply.status !== 200);
		expect(winners, replies.map((r) => r.status).join(',')).toHaveLength(1);
		for (const reply of losers) expectApiError(reply, 409, 'already_taken');
		const winner = winners[0]!;
		const body = replies.find((r) => r.status === 200)!.json;
		expect(body.order).toMatchObject({
			id: orderId,
			status: 'accepted',
			partnerId: winner.userId,
			partnerName: winner.name
		});

		// the document says the same: assignment and an accepted event by the winner
		const client = await openDoc(stack, winner, orderDocName(orderId));
		try {
			expect(readAssignment(client.doc)).toMatchObject({
				partnerId: winner.userId,
				partnerName: winner.name
			});
			const view = readOrder(client.doc)!;
			expect(view.status).toBe('accepted');
			expect(view.events).toHaveLength(1);
			expect(view.events[0]).toMatchObject({
				type: 'accepted',
				by: winner.userId,
				role: 'partner'
			});
		} finally {
			client.destroy();
		}

		// the losers cannot open the order's room
		for (const loser of partners.filter((p) => p !== winner)) {
			const outcome = await tryUpgrade(
				`${stack.sync.wsUrl}/${orderDocName(orderId)}`,
				headersFor(loser)
			);
			expect(outcome.status).toBe(403);
		}
		const row = await stack.database.collections.orders.findOne({ _id: orderId });
		expect(row).toMatchObject({ partnerId: winner.userId, status: 'accepted' });
		expect(row!.claimedAt).toBeInstanceOf(Date);

		// a retried claim by the winner answers the same; the document gets no second event
		const retry = await claim(winner, orderId);
		expect(retry.status, retry.text).toBe(200);
		const again = await openDoc(stack, winner, orderDocName(orderId));
		try {
			expect(readOrder(again.doc)!.events).toHaveLength(1);
		} finally {
			again.destroy();
		}
	});

	it('refuses: unknown order 404, non-partners 403, unavailable partner 409, cancelled 409', async () => {
		const partner = partners[0]!;
		expectApiError(await claim(partner, 'nosuchorder123'), 404, 'not_found');
		expectApiError(await claim(partner, 'BAD..id'), 404, 'not_found');
		const orderId = await placeOrder(customer);
		expectApiError(await claim(customer, orderId), 403, 'forbidden');
		expectApiError(await claim(admin, orderId), 403, 'forbidden');

		const offDuty = await person(stack, 'partner', 'Off Duty');
		const toggled = await offDuty.api.post('/api/partner/availability', { available: false });
		expect(toggled.status, toggled.text).toBe(200);
		expect(toggled.json.profile.available).toBe(false);
		expectApiError(await claim(offDuty, orderId), 409, 'not_available');
		const on = await offDuty.api.post('/api/partner/availability', { available: true });
		expect(on.json.profile.available).toBe(true);

		const cancelled = await customer.api.post(`/api/orders/${orderId}/cancel`);
		expect(cancelled.status, cancelled.text).toBe(200);
		expectApiError(await claim(offDuty, orderId), 409, 'not_claimable');
	});

	it('a claim racing the customer’s cancel: exactly one of them wins', async () => {
		const orderId = await placeOrder(customer);
		const [claimed, cancelled] = await Promise.all([
			claim(partners[1]!, orderId),
			customer.api.post(`/api/orders/${orderId}/cancel`)
		]);
		const statuses = [claimed.status, cancelled.status].sort();
		expect(statuses, `${claimed.text} / ${cancelled.text}`).toEqual([200, 409]);
		const client = await openDoc(stack, customer, orderDocName(orderId));
		try {
			const view = readOrder(client.doc)!;
			expect(view.fold.conflicts).toHaveLength(0);
			expect(view.status).toBe(claimed.status === 200 ? 'accepted' : 'cancelled');
		} finally {
			client.destroy();
		}
	});
});

describe('a claim overtaken in the document', () => {
	it('a cancel the document has before the index: 409 to the partner, logged as a lost race', async () => {
		const orderId = await placeOrder(customer);
		// the customer's cancel goes straight into the document (as an offline cancel syncing does);
		// the index hears of it only with the next projection, so the claim passes the index first
		const device = await openDoc(stack, customer, orderDocName(orderId));
		try {
			appendEvent(device.doc, createEvent(actorOf(customer), 'cancelled'));
			await eventually(
				() => readOrder(device.doc)?.status === 'cancelled',
				5_000,
				'cancel applied locally'
			);
			const reply = await claim(partners[2]!, orderId);
			expect(reply.status, reply.text).toBe(409);
		} finally {
			device.destroy();
		}
		const lines = stack.web
			.output()
			.split('\n')
			.filter((line) => line.includes(orderId))
			.map((line) => JSON.parse(line) as { level: number; msg: string });
		// an expected race, not a fault: rolled back and said at info level, nothing at error level
		expect(lines.filter((line) => line.msg === 'claim rolled back').map((l) => l.level)).toEqual([
			30
		]);
		expect(lines.filter((line) => line.level >= 50)).toEqual([]);
	});
});

describe('cancel rules', () => {
	it('the customer cancels their pending order (with a reason); the event is theirs', async () => {
		const orderId = await placeOrder(customer);
		const reply = await customer.api.post(`/api/orders/${orderId}/cancel`, {
			reason: 'Ordered by mistake'
		});
		expect(reply.status, reply.text).toBe(200);
		expect(reply.json.order).toMatchObject({ id: orderId, status: 'cancelled' });
		const client = await openDoc(stack, customer, orderDocName(orderId));
		try {
			const view = readOrder(client.doc)!;
			expect(view.status).toBe('cancelled');
			expect(view.events.at(-1)).toMatchObject({
				type: 'cancelled',
				by: customer.userId,
				role: 'customer',
				note: 'Ordered by mistake'
			});
		} finally {
			client.destroy();
		}
		// cancelling again is a 409 for an admin (final) and a no-op repeat for the customer
		expectApiError(await admin.api.post(`/api/orders/${orderId}/cancel`), 409, 'not_cancellable');
		const repeat = await customer.api.post(`/api/orders/${orderId}/cancel`);
		expect(repeat.status, repeat.text).toBe(200);
		const again = await openDoc(stack, customer, orderDocName(orderId));
		try {
			expect(readOrder(again.doc)!.events.filter((e) => e.type === 'cancelled')).toHaveLength(1);
		} finally {
			again.destroy();
		}
	});

	it('the customer cannot cancel after a partner accepted it (409)', async () => {
		const orderId = await placeOrder(customer);
		expect((await claim(partners[2]!, orderId)).status).toBe(200);
		expectApiError(
			await customer.api.post(`/api/orders/${orderId}/cancel`),
			409,
			'not_cancellable'
		);
	});

	it('another customer gets 404 like an unknown order; partners 403; a bad reason is a 400', async () => {
		const orderId = await placeOrder(customer);
		const stranger = await person(stack, 'customer');
		expectApiError(await stranger.api.post(`/api/orders/${orderId}/cancel`), 404, 'not_found');
		expectApiError(await partners[3]!.api.post(`/api/orders/${orderId}/cancel`), 403, 'forbidden');
		expectApiError(
			await customer.api.post(`/api/orders/${orderId}/cancel`, { reason: 'x'.repeat(501) }),
			400,
			'invalid_input',
			'reason'
		);
		expectApiError(await customer.api.post('/api/orders/nosuchorder99/cancel'), 404, 'not_found');
		const row = await stack.database.collections.orders.findOne({ _id: orderId });
		expect(row?.status).toBe('pending');
	});

	it('an admin cancels any non-final order; a final one is a 409', async () => {
		// accepted
		const accepted = await placeOrder(customer);
		const partner = partners[4]!;
		expect((await claim(partner, accepted)).status).toBe(200);
		// preparing, written by the partner through their own client
		const preparing = await placeOrder(customer);
		expect((await claim(partner, preparing)).status).toBe(200);
		const client = await openDoc(stack, partner, orderDocName(preparing));
		try {
			appendEvent(
				client.doc,
				createEvent({ userId: partner.userId, role: 'partner' }, 'preparing')
			);
			await eventually(
				async () =>
					(await stack.database.collections.orders.findOne({ _id: preparing }))?.status ===
					'preparing',
				10_000,
				'the index to follow the partner'
			);
			for (const orderId of [accepted, preparing]) {
				const reply = await admin.api.post(`/api/orders/${orderId}/cancel`, {
					reason: 'Kitchen closed'
				});
				expect(reply.status, reply.text).toBe(200);
				expect(reply.json.order.status).toBe('cancelled');
			}
			// the partner's open client sees the admin's cancel live
			await until(client.doc, () => readOrder(client.doc)?.status === 'cancelled', 'live cancel');
			expect(readOrder(client.doc)!.events.at(-1)).toMatchObject({
				type: 'cancelled',
				by: admin.userId,
				role: 'admin',
				note: 'Kitchen closed'
			});
		} finally {
			client.destroy();
		}
		// pending, by an admin
		const pending = await placeOrder(customer);
		expect((await admin.api.post(`/api/orders/${pending}/cancel`)).status).toBe(200);
		expectApiError(await claim(partner, pending), 409, 'not_claimable');
		// final
		expectApiError(await admin.api.post(`/api/orders/${accepted}/cancel`), 409, 'not_cancellable');
	});
});
