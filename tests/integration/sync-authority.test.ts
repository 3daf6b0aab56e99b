// The server's word is final, tried as an attacker would: updates built with the raw yjs API (a
// fresh document with a small or a large client id, an item whose origin is the first event, a
// delete set, a flood), sent in the handshake (sync step 2) or as a later update, against orders
// that are pending, accepted, out for delivery and delivered. After each, the order's status is
// read through the HTTP API, both feeds, a fresh reader and the database: only what the rules admit
// where the order stood ever shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import {
	appendEvent,
	createEvent,
	eventsArray,
	isFinalStatus,
	readFeed,
	readOrder,
	type OrderStatus
} from '../../src/lib/order/index.ts';
import {
	actorOf,
	eventually,
	frames,
	headersFor,
	RawSyncClient,
	readStored,
	serviceClient,
	withTimeout,
	type CloseInfo,
	type ProviderClient
} from '../support/sync-clients.ts';
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
let partner: Person;
let admin: Person;
let customerFeed: ProviderClient;
let adminFeed: ProviderClient;

beforeAll(async () => {
	stack = await startOrderStack('sync_authority');
	[customer, partner, admin] = await Promise.all([
		person(stack, 'customer'),
		person(stack, 'partner'),
		person(stack, 'admin')
	]);
	// both feeds stay open, so the projection writes them at once
	customerFeed = await openDoc(stack, customer, `feed/customer/${customer.userId}`);
	adminFeed = await openDoc(stack, admin, 'feed/admin');
});

afterAll(async () => {
	customerFeed?.destroy();
	adminFeed?.destroy();
	await stack?.stop();
});

const STEPS = ['preparing', 'out_for_delivery', 'delivered'] as const;

/** A new order brought to `status` the honest way (API order and claim, the partner's steps). */
async function orderAt(status: OrderStatus): Promise<string> {
	const orderId = await placeOrder(customer);
	if (status !== 'pending') {
		expect((await claim(partner, orderId)).status).toBe(200);
		const steps = STEPS.slice(0, STEPS.indexOf(status as (typeof STEPS)[number]) + 1);
		if (steps.length > 0) {
			const client = await openDoc(stack, partner, `order/${orderId}`);
			for (const type of steps) appendEvent(client.doc, createEvent(actorOf(partner), type));
			await until(client.doc, () => readOrder(client.doc)?.status === status, status);
			await eventually(
				async () =>
					readOrder((await readStored(stack.database, `order/${orderId}`)).doc)?.status === status,
				10_000,
				'stored'
			);
			client.destroy();
		}
	}
	await expectStatus(orderId, status);
	return orderId;
}

/** The status every reader sees: the API, both feeds, a fresh reader and the database. */
async function expectStatus(orderId: string, status: OrderStatus, eventCount?: number) {
	await eventually(
		async () => (await customer.api.get(`/api/orders/${orderId}`)).json?.order?.status === status,
		10_000,
		`API says ${status}`
	);
	for (const feed of [customerFeed, adminFeed]) {
		// feed/admin holds active orders only: a finished one has left it
		const shown = feed === adminFeed && isFinalStatus(status) ? undefined : status;
		await eventually(
			() => readFeed(feed.doc).find((entry) => entry.id === orderId)?.status === shown,
			10_000,
			`feed says ${shown ?? 'nothing'}`
		);
	}
	const reader = await openDoc(stack, admin, `order/${orderId}`);
	const view = readOrder(reader.doc)!;
	reader.destroy();
	expect(view.status).toBe(status);
	expect(view.fold.conflicts).toEqual([]);
	if (eventCount !== undefined) expect(view.events).toHaveLength(eventCount);
	const stored = readOrder((await readStored(stack.database, `order/${orderId}`)).doc)!;
	expect(stored.status).toBe(status);
	expect(stored.events.map((e) => e.id)).toEqual(view.events.map((e) => e.id));
}

/** The server's copy of the order, as a raw client syncs it. */
async function synced(orderId: string, user: Person = customer): Promise<RawSyncClient> {
	const client = await RawSyncClient.open(`${stack.sync.wsUrl}/order/${orderId}`, headersFor(user));
	client.requestSync();
	await client.until((doc) => doc.getMap('meta').size > 0);
	return client;
}

/** A raw client whose own document is `doc`: it offers `doc` in its sync step 2 (the handshake). */
async function handshakeWith(orderId: string, doc: Y.Doc): Promise<RawSyncClient> {
	return RawSyncClient.open(`${stack.sync.wsUrl}/order/${orderId}`, headersFor(customer), {
		doc
	});
}

/** An update holding one item of `client`, placed by hand: any origins, parent by root name. */
function forgedEvent(options: {
	client: number;
	clock?: number;
	origin: Y.ID | null;
	value: unknown;
}): Uint8Array {
	const item = new Y.Item(
		Y.createID(options.client, options.clock ?? 0),
		null,
		options.origin,
		null,
		null,
		(options.origin === null ? 'events' : null) as unknown as Y.AbstractType<unknown>,
		null,
		new Y.ContentAny([options.value])
	);
	const encoder = new Y.UpdateEncoderV1();
	encoding.writeVarUint(encoder.restEncoder, 1);
	encoding.writeVarUint(encoder.restEncoder, 1);
	encoder.writeClient(options.client);
	encoding.writeVarUint(encoder.restEncoder, options.clock ?? 0);
	item.write(encoder, 0);
	encoding.writeVarUint(encoder.restEncoder, 0);
	return encoder.toUint8Array();
}

/** A sync step 2 frame carrying `update` (what a client sends in the handshake). */
function step2(update: Uint8Array): Uint8Array {
	const out = encoding.createEncoder();
	encoding.writeVarUint(out, 0);
	encoding.writeVarUint(out, syncProtocol.messageYjsSyncStep2);
	encoding.writeVarUint8Array(out, update);
	return encoding.toUint8Array(out);
}

const closeOf = (client: RawSyncClient) =>
	withTimeout<CloseInfo>(client.closed, 10_000, 'server close');
const cancelByCustomer = () => createEvent(actorOf(customer), 'cancelled');

/** A fresh document with this client id holding one customer cancel in an "empty" events list. */
function freshDocWithCancel(clientId: number): Y.Doc {
	const doc = new Y.Doc();
	doc.clientID = clientId;
	eventsArray(doc).push([cancelByCustomer()]);
	return doc;
}

interface Attack {
	name: string;
	run(orderId: string): Promise<CloseInfo | 'open'>;
}

const attacks: Attack[] = [
	{
		name: 'a fresh doc with a small client id, in the handshake',
		async run(orderId) {
			const client = await handshakeWith(orderId, freshDocWithCancel(1));
			return settle(client);
		}
	},
	{
		name: 'a fresh doc with a large client id, in the handshake',
		async run(orderId) {
			const client = await handshakeWith(orderId, freshDocWithCancel(2 ** 32 - 2));
			return settle(client);
		}
	},
	{
		name: 'an item whose origin is the first event, as a later update',
		async run(orderId) {
			const client = await synced(orderId);
			const first = eventsArray(client.doc)._start;
			const update = forgedEvent({
				client: 7,
				origin: first === null ? null : first.id,
				value: cancelByCustomer()
			});
			client.send(frames.update(update));
			return settle(client);
		}
	},
	{
		name: 'a sync step 2 sent again later, holding the forged cancel',
		async run(orderId) {
			const client = await synced(orderId);
			client.send(step2(forgedEvent({ client: 3, origin: null, value: cancelByCustomer() })));
			return settle(client);
		}
	},
	{
		name: 'a delete set removing the first event, then a cancel',
		async run(orderId) {
			const client = await synced(orderId);
			const replica = new Y.Doc();
			Y.applyUpdate(replica, Y.encodeStateAsUpdate(client.doc));
			const update = (() => {
				const updates: Uint8Array[] = [];
				replica.on('update', (u: Uint8Array) => updates.push(u));
				replica.transact(() => {
					if (eventsArray(replica).length > 0) eventsArray(replica).delete(0, 1);
					eventsArray(replica).push([cancelByCustomer()]);
				});
				return updates[0]!;
			})();
			client.send(frames.update(update));
			return settle(client);
		}
	},
	{
		name: 'a flood of 1,700 cancels in one update',
		async run(orderId) {
			const client = await synced(orderId);
			const replica = new Y.Doc();
			Y.applyUpdate(replica, Y.encodeStateAsUpdate(client.doc));
			const updates: Uint8Array[] = [];
			replica.on('update', (u: Uint8Array) => updates.push(u));
			eventsArray(replica).push(Array.from({ length: 1_700 }, cancelByCustomer));
			client.send(frames.update(updates[0]!));
			return settle(client);
		}
	}
];

/** The socket's close, or 'open' if the server kept it open (it took the update). */
async function settle(client: RawSyncClient): Promise<CloseInfo | 'open'> {
	const outcome = await Promise.race([
		client.closed,
		new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 1_500))
	]);
	client.close();
	return outcome;
}

describe('a customer forging a cancel cannot rewrite an order’s history', () => {
	const statuses: OrderStatus[] = ['pending', 'accepted', 'out_for_delivery', 'delivered'];
	for (const status of statuses) {
		describe(`on a ${status} order`, () => {
			for (const attack of attacks) {
				it(attack.name, async () => {
					const orderId = await orderAt(status);
					const before = readOrder((await readStored(stack.database, `order/${orderId}`)).doc)!;
					const outcome = await attack.run(orderId);
					// a pending order may be cancelled by its customer: a lone cancel appended at the
					// end is admitted; everything else is refused whole
					const legal = status === 'pending' && !attack.name.startsWith('a flood');
					if (legal) {
						expect(outcome).toBe('open');
						await expectStatus(orderId, 'cancelled', 1);
					} else {
						expect(outcome).not.toBe('open');
						expect((outcome as CloseInfo).code).toBe(4403);
						await expectStatus(orderId, status, before.events.length);
					}
				});
			}
		});
	}

	it('the refusal says why, in words the app shows', async () => {
		const orderId = await orderAt('accepted');
		const client = await synced(orderId);
		const replica = new Y.Doc();
		Y.applyUpdate(replica, Y.encodeStateAsUpdate(client.doc));
		const updates: Uint8Array[] = [];
		replica.on('update', (u: Uint8Array) => updates.push(u));
		appendEvent(replica, cancelByCustomer()); // on top of the server's state: not stale
		client.send(frames.update(updates[0]!));
		expect(await closeOf(client)).toEqual({
			code: 4403,
			reason: 'a partner had already accepted the order'
		});
		// the same cancel through the API is refused too, for the same reason
		const api = await customer.api.post(`/api/orders/${orderId}/cancel`);
		expect(api.status).toBe(409);
		await expectStatus(orderId, 'accepted', 1);
	});

	it('an honest client refused for writing on an older state is told, not looped', async () => {
		// a stock y-websocket client stops reconnecting after 4403 (a 44xx close is final to it)
		const orderId = await orderAt('accepted');
		const stock = await openDoc(stack, partner, `order/${orderId}`);
		stock.provider.disconnect();
		appendEvent(stock.doc, createEvent(actorOf(partner), 'preparing'));
		// meanwhile an admin cancels through the API
		expect((await admin.api.post(`/api/orders/${orderId}/cancel`)).status).toBe(200);
		stock.provider.connect();
		const close = await withTimeout(
			new Promise<CloseInfo>((resolve) => {
				const check = setInterval(() => {
					const found = stock.closes.find((c) => c.code === 4403);
					if (found) {
						clearInterval(check);
						resolve(found);
					}
				}, 50);
			}),
			10_000,
			'refusal'
		);
		expect(close.reason).toBe('the order changed meanwhile');
		await new Promise((resolve) => setTimeout(resolve, 1_500));
		expect(stock.closes.filter((c) => c.code === 4403)).toHaveLength(1);
		expect(stock.provider.wsconnected).toBe(false);
		stock.destroy();
		await expectStatus(orderId, 'cancelled', 2);
	});
});

describe('the web app’s writes pass the same admission', () => {
	it('the service channel refuses a claim of an order the customer cancelled, and a late cancel', async () => {
		const sync = serviceClient(stack.sync);
		// the customer's cancel reaches the document first (made offline, sent on reconnect)
		const pending = await orderAt('pending');
		const client = await synced(pending);
		const replica = new Y.Doc();
		Y.applyUpdate(replica, Y.encodeStateAsUpdate(client.doc));
		const updates: Uint8Array[] = [];
		replica.on('update', (u: Uint8Array) => updates.push(u));
		appendEvent(replica, cancelByCustomer());
		client.send(frames.update(updates[0]!));
		expect(await settle(client)).toBe('open');
		await expect(
			sync.assign(
				pending,
				{
					partnerId: partner.userId,
					partnerName: partner.name,
					claimedAt: new Date().toISOString()
				},
				createEvent(actorOf(partner), 'accepted')
			)
		).rejects.toMatchObject({ status: 409, code: 'not_admitted' });
		await expectStatus(pending, 'cancelled', 1);

		// a cancel in the customer's name on a delivered order is refused however it is sent
		const delivered = await orderAt('delivered');
		await expect(sync.appendServerEvent(delivered, cancelByCustomer())).rejects.toMatchObject({
			status: 409,
			code: 'not_admitted',
			message: 'the order was already delivered'
		});
		const api = await admin.api.post(`/api/orders/${delivered}/cancel`);
		expect(api.status).toBe(409);
		await expectStatus(delivered, 'delivered', 4);
	});
});
