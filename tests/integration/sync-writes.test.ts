// Write validation on the real server: every kind of forged write is refused with 4403, leaves no
// trace in the database and never reaches another client; honest writes sync and persist; the
// service channel writes as the server; updates that change nothing are not stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	createEvent,
	feedMap,
	readOrder,
	writeRating,
	type EventType
} from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import {
	createSyncClient,
	SyncServiceError,
	type SyncClient
} from '../../src/lib/server/sync-client.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import {
	actorOf,
	connectProvider,
	createTestUser,
	eventually,
	frames,
	headersFor,
	insertOrderRow,
	RawSyncClient,
	readStored,
	sampleMeta,
	serviceClient,
	startTestSyncServer,
	type SyncServerHandle,
	TEST_SECRET,
	type TestUser,
	withTimeout
} from '../support/sync-clients.ts';

let database: Database;
let server: SyncServerHandle;
let sync: SyncClient;
let customer: TestUser;
let partner: TestUser;
let otherPartner: TestUser;
let admin: TestUser;

const claimedAt = () => new Date().toISOString();

beforeAll(async () => {
	const opened = await openTestDatabase('sync_writes');
	database = opened.database;
	const c = database.collections;
	[customer, partner, otherPartner, admin] = await Promise.all([
		createTestUser(c, 'customer', 'Cara'),
		createTestUser(c, 'partner', 'Pat'),
		createTestUser(c, 'partner', 'Other'),
		createTestUser(c, 'admin', 'Ada')
	]);
	server = await startTestSyncServer(opened.uri);
	sync = serviceClient(server);
});

afterAll(async () => {
	await server?.stop();
	await dropTestDatabase(database);
});

/** A fresh order: index row, meta written through the service channel, optionally claimed. */
async function newOrder(assigned: boolean): Promise<string> {
	const orderId = randomId(8);
	await insertOrderRow(
		database.collections,
		orderId,
		customer.userId,
		assigned ? partner.userId : null
	);
	await sync.initOrder(orderId, sampleMeta(orderId, customer.userId));
	if (assigned) {
		await sync.assign(
			orderId,
			{ partnerId: partner.userId, partnerName: partner.name, claimedAt: claimedAt() },
			createEvent(actorOf(partner), 'accepted')
		);
	}
	return orderId;
}

function eventsOf(doc: Y.Doc): Array<{ id: string; type: string; by: string }> {
	return doc.getArray<{ id: string; type: string; by: string }>('events').toArray();
}

interface Forgery {
	name: string;
	user: () => TestUser;
	assigned: boolean;
	/** Runs on the forger's synced replica (with the server's content). */
	forge: (doc: Y.Doc) => void;
	reason: RegExp;
	/** Give the forger's replica the Yjs client id the server writes with. */
	impersonateServer?: boolean;
}

const forgeries: Forgery[] = [
	{
		name: 'a customer rewrites meta (the total)',
		user: () => customer,
		assigned: false,
		forge: (doc) => doc.getMap('meta').set('total', 1),
		reason: /meta/
	},
	{
		name: 'a partner writes the assignment',
		user: () => partner,
		assigned: true,
		forge: (doc) => doc.getMap('assignment').set('partnerName', 'Someone else'),
		reason: /assignment/
	},
	{
		name: 'a customer assigns a partner to a fresh order',
		user: () => customer,
		assigned: false,
		forge: (doc) => doc.getMap('assignment').set('partnerId', otherPartner.userId),
		reason: /assignment/
	},
	{
		name: 'a partner deletes an event',
		user: () => partner,
		assigned: true,
		forge: (doc) => doc.getArray('events').delete(0, 1),
		reason: /delete/
	},
	{
		name: 'an event whose author is someone else',
		user: () => partner,
		assigned: true,
		forge: (doc) =>
			doc
				.getArray('events')
				.push([{ ...createEvent(actorOf(partner), 'preparing'), by: admin.userId }]),
		reason: /author/
	},
	{
		name: 'an event claiming another role',
		user: () => partner,
		assigned: true,
		forge: (doc) =>
			doc
				.getArray('events')
				.push([{ ...createEvent(actorOf(partner), 'preparing'), role: 'admin' }]),
		reason: /role/
	},
	{
		name: 'a customer moves the order on (preparing)',
		user: () => customer,
		assigned: true,
		forge: (doc) => doc.getArray('events').push([createEvent(actorOf(customer), 'preparing')]),
		reason: /customers may only cancel/
	},
	{
		name: 'a partner cancels',
		user: () => partner,
		assigned: true,
		forge: (doc) => doc.getArray('events').push([createEvent(actorOf(partner), 'cancelled')]),
		reason: /only the customer who placed the order or an admin may cancel it/
	},
	{
		name: 'a partner writes the server-only accepted event',
		user: () => partner,
		assigned: true,
		forge: (doc) => doc.getArray('events').push([createEvent(actorOf(partner), 'accepted')]),
		reason: /server/
	},
	{
		name: 'an event inserted before existing ones (not appended)',
		user: () => partner,
		assigned: true,
		forge: (doc) => doc.getArray('events').insert(0, [createEvent(actorOf(partner), 'preparing')]),
		reason: /append-only/
	},
	{
		name: 'an event that is not a valid event object',
		user: () => partner,
		assigned: true,
		forge: (doc) => doc.getArray('events').push([{ type: 'preparing', by: 'x' }]),
		reason: /not a valid order event/
	},
	{
		name: 'a nested shared type inside events',
		user: () => partner,
		assigned: true,
		forge: (doc) => doc.getArray('events').push([new Y.Map()]),
		reason: /nested/
	},
	{
		name: 'a delivery dated in 2099 (every list and statistic would read it)',
		user: () => partner,
		assigned: true,
		forge: (doc) =>
			doc
				.getArray('events')
				.push([createEvent(actorOf(partner), 'preparing', undefined, new Date('2099-12-31'))]),
		reason: /ahead of the server’s clock/
	},
	{
		name: "a customer's cancel dated before the order was placed",
		user: () => customer,
		assigned: false,
		forge: (doc) =>
			doc
				.getArray('events')
				.push([createEvent(actorOf(customer), 'cancelled', undefined, new Date(0))]),
		reason: /before the order was placed/
	},
	{
		name: 'a partner rates the order',
		user: () => partner,
		assigned: true,
		forge: (doc) => writeRating(doc, { stars: 5, comment: 'self-review' }),
		reason: /customer/
	},
	{
		name: 'a customer rates before delivery',
		user: () => customer,
		assigned: true,
		forge: (doc) => writeRating(doc, { stars: 1, comment: 'too early' }),
		reason: /delivered/
	},
	{
		name: 'a write outside the order schema',
		user: () => customer,
		assigned: false,
		forge: (doc) => doc.getMap('notes').set('x', 'y'),
		reason: /schema/
	},
	{
		name: "writing with the server's Yjs client id",
		user: () => partner,
		assigned: true,
		forge: (doc) => doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]),
		reason: /client id/,
		impersonateServer: true
	}
];

describe('forged writes', () => {
	it.each(forgeries)('$name: refused (4403), never stored, never seen', async (forgery) => {
		const orderId = await newOrder(forgery.assigned);
		const docName = `order/${orderId}`;
		const observer = connectProvider({ wsUrl: server.wsUrl, docName, cookie: admin.cookie });
		await observer.synced();
		const before = Y.encodeStateVector(observer.doc);
		let forgerClient: number;
		let forgedEvents: string[];
		let info: { code: number; reason: string };
		if (forgery.impersonateServer) {
			// a stock client cannot even do this (Yjs moves to a new client id when it sees its own
			// in remote content), so a raw client sends the crafted update
			const raw = await RawSyncClient.open(
				`${server.wsUrl}/${docName}`,
				headersFor(forgery.user())
			);
			raw.requestSync();
			await raw.until((doc) => doc.getMap('meta').size > 0);
			raw.doc.clientID = observer.doc.getMap('meta')._map.get('total')!.id.client;
			raw.doc.on('update', (update: Uint8Array) => raw.send(frames.update(update)));
			forgery.forge(raw.doc);
			forgerClient = raw.doc.clientID;
			forgedEvents = eventsOf(raw.doc).map((e) => e?.id);
			info = await withTimeout(raw.closed, 10_000, 'forger closed');
		} else {
			const forger = connectProvider({
				wsUrl: server.wsUrl,
				docName,
				cookie: forgery.user().cookie,
				reconnect: false
			});
			await forger.synced();
			const closed = forger.nextClose();
			forgery.forge(forger.doc);
			forgerClient = forger.doc.clientID;
			forgedEvents = eventsOf(forger.doc).map((e) => e?.id);
			info = await closed;
			forger.destroy();
		}
		expect(info.code).toBe(4403);
		expect(info.reason).toMatch(forgery.reason);

		// an honest write after the forgery: once the observer has it, anything forged would be there too
		const honest = createEvent(actorOf(admin), 'cancelled', 'sentinel');
		const result = await sync.appendServerEvent(orderId, honest);
		expect(result.applied).toBe(true);
		await eventually(
			() => eventsOf(observer.doc).some((e) => e.id === honest.id),
			5_000,
			'sentinel'
		);

		const stored = await readStored(database, docName);
		for (const doc of [observer.doc, stored.doc]) {
			// nothing of the forger's: its client id is unknown, the old content is intact
			// (the server's own client id legitimately moves on with the sentinel)
			if (!forgery.impersonateServer) {
				const clock = Y.decodeStateVector(Y.encodeStateVector(doc)).get(forgerClient);
				expect(clock).toBe(Y.decodeStateVector(before).get(forgerClient));
			}
			const view = readOrder(doc)!;
			expect(view.meta.total).toBe(1250);
			expect(view.assignment?.partnerId ?? null).toBe(forgery.assigned ? partner.userId : null);
			expect(view.assignment?.partnerName ?? null).toBe(forgery.assigned ? partner.name : null);
			expect(doc.getMap('rating').size).toBe(0);
			expect(doc.share.has('notes') ? doc.getMap('notes').size : 0).toBe(0);
			const ids = eventsOf(doc).map((e) => e.id);
			expect(ids.at(-1)).toBe(honest.id);
			expect(ids.length).toBe(forgery.assigned ? 2 : 1);
			for (const id of forgedEvents)
				if (id && id !== ids[0]) expect(ids.slice(0, -1)).not.toContain(id);
		}
		expect(JSON.stringify(readOrder(stored.doc))).toBe(JSON.stringify(readOrder(observer.doc)));
		expect(Y.encodeStateVector(stored.doc)).toEqual(Y.encodeStateVector(observer.doc));
		expect(observer.closes).toEqual([]);
		observer.destroy();
	});

	it('a partner writing into a feed is refused and nothing is stored', async () => {
		const observer = connectProvider({
			wsUrl: server.wsUrl,
			docName: 'feed/open',
			cookie: otherPartner.cookie
		});
		const forger = connectProvider({
			wsUrl: server.wsUrl,
			docName: 'feed/open',
			cookie: partner.cookie,
			reconnect: false
		});
		await Promise.all([observer.synced(), forger.synced()]);
		const closed = forger.nextClose();
		feedMap(forger.doc).set('fake', { id: 'fake' });
		const info = await closed;
		expect(info).toEqual({ code: 4403, reason: 'feeds are read-only' });
		forger.destroy();
		// a round trip on the observer's socket: its answer comes after any broadcast of the forgery
		observer.provider.ws!.send(frames.step1(observer.doc));
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(feedMap(observer.doc).has('fake')).toBe(false);
		const storedAfter = await readStored(database, 'feed/open');
		expect(feedMap(storedAfter.doc).has('fake')).toBe(false);
		expect(Y.decodeStateVector(Y.encodeStateVector(storedAfter.doc)).has(forger.doc.clientID)).toBe(
			false
		);
		observer.destroy();
	});
});

describe('honest writes', () => {
	it('the assigned partner moves the order to delivered, the customer rates; all synced and stored', async () => {
		const orderId = await newOrder(true);
		const docName = `order/${orderId}`;
		const customerClient = connectProvider({
			wsUrl: server.wsUrl,
			docName,
			cookie: customer.cookie
		});
		const partnerClient = connectProvider({ wsUrl: server.wsUrl, docName, cookie: partner.cookie });
		await Promise.all([customerClient.synced(), partnerClient.synced()]);
		for (const type of ['preparing', 'out_for_delivery', 'delivered'] as EventType[]) {
			partnerClient.doc.getArray('events').push([createEvent(actorOf(partner), type)]);
			await eventually(
				() => readOrder(customerClient.doc)?.status === type,
				5_000,
				`customer sees ${type}`
			);
		}
		writeRating(customerClient.doc, { stars: 5, comment: 'Hot and fast' });
		await eventually(
			() => readOrder(partnerClient.doc)?.rating?.stars === 5,
			5_000,
			'partner sees rating'
		);
		await eventually(
			async () => readOrder((await readStored(database, docName)).doc)?.rating?.stars === 5,
			5_000,
			'rating stored'
		);
		const stored = readOrder((await readStored(database, docName)).doc)!;
		expect(stored.status).toBe('delivered');
		expect(stored.fold.conflicts).toEqual([]);
		expect(stored.events.map((e) => e.type)).toEqual([
			'accepted',
			'preparing',
			'out_for_delivery',
			'delivered'
		]);
		expect([customerClient.closes, partnerClient.closes]).toEqual([[], []]);
		customerClient.destroy();
		partnerClient.destroy();
	});

	it('takes events whose ids are standard UUIDs (crypto.randomUUID()) from a stock y-websocket client', async () => {
		const orderId = await newOrder(true);
		const docName = `order/${orderId}`;
		const partnerClient = connectProvider({ wsUrl: server.wsUrl, docName, cookie: partner.cookie });
		const observer = connectProvider({ wsUrl: server.wsUrl, docName, cookie: customer.cookie });
		await Promise.all([partnerClient.synced(), observer.synced()]);
		// the next legal step, appended on top of the server's state, as another client would write it
		const ids = [crypto.randomUUID(), crypto.randomUUID().toUpperCase()];
		for (const [i, type] of (['preparing', 'out_for_delivery'] as EventType[]).entries()) {
			partnerClient.doc
				.getArray('events')
				.push([{ ...createEvent(actorOf(partner), type), id: ids[i]! }]);
			await eventually(
				() => readOrder(observer.doc)?.status === type,
				5_000,
				`the customer's replica sees ${type}`
			);
		}
		await eventually(
			async () =>
				readOrder((await readStored(database, docName)).doc)?.status === 'out_for_delivery',
			5_000,
			'both events stored'
		);
		const stored = readOrder((await readStored(database, docName)).doc)!;
		expect(stored.events.map((e) => e.id).slice(1)).toEqual(ids);
		expect(stored.fold.conflicts).toEqual([]);
		expect([partnerClient.closes, observer.closes]).toEqual([[], []]);

		// an id longer than the stated maximum (64) is refused like any other malformed event
		partnerClient.doc
			.getArray('events')
			.push([{ ...createEvent(actorOf(partner), 'delivered'), id: `${ids[0]}-${'0'.repeat(28)}` }]);
		const close = await partnerClient.nextClose(10_000);
		expect(close).toEqual({ code: 4403, reason: 'not a valid order event' });
		partnerClient.destroy();
		observer.destroy();
	});

	it('the customer cancels a pending order', async () => {
		const orderId = await newOrder(false);
		const client = connectProvider({
			wsUrl: server.wsUrl,
			docName: `order/${orderId}`,
			cookie: customer.cookie
		});
		await client.synced();
		client.doc
			.getArray('events')
			.push([createEvent(actorOf(customer), 'cancelled', 'changed my mind')]);
		await eventually(
			async () =>
				readOrder((await readStored(database, `order/${orderId}`)).doc)?.status === 'cancelled',
			5_000,
			'cancel stored'
		);
		expect(client.closes).toEqual([]);
		client.destroy();
	});
});

describe('updates that change nothing', () => {
	it('are not stored: a full re-send of known state and a reconnecting replica', async () => {
		const orderId = await newOrder(true);
		const docName = `order/${orderId}`;
		const first = connectProvider({ wsUrl: server.wsUrl, docName, cookie: partner.cookie });
		await first.synced();
		first.doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]);
		first.doc.getArray('events').delete(0, 0);
		await eventually(
			async () => (await readStored(database, docName)).logEntries === 3,
			5_000,
			'stored'
		);
		const rows = (await readStored(database, docName)).logEntries;

		// the same replica reconnecting (a new provider on the same doc) re-syncs everything
		const replica = first.doc;
		first.provider.destroy();
		const again = connectProvider({
			wsUrl: server.wsUrl,
			docName,
			cookie: partner.cookie,
			doc: replica
		});
		await again.synced();
		// a raw client re-sending the whole document as an update
		const raw = await RawSyncClient.open(`${server.wsUrl}/${docName}`, headersFor(partner));
		raw.send(frames.update(Y.encodeStateAsUpdate(replica)));
		raw.send(frames.step1(raw.doc));
		await raw.until((doc) => eventsOf(doc).length === 2);
		await new Promise((resolve) => setTimeout(resolve, 200)); // > the flush window
		expect((await readStored(database, docName)).logEntries).toBe(rows);
		expect(raw.isOpen).toBe(true);
		raw.close();
		again.destroy();
	});
});

describe('the service channel', () => {
	const post = (orderId: string, body: unknown, headers: Record<string, string>) =>
		fetch(`${server.url}/internal/orders/${orderId}/ops`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...headers },
			body: typeof body === 'string' ? body : JSON.stringify(body)
		});

	it('writes meta that a connected client sees at once and that is durable when it answers', async () => {
		const orderId = randomId(8);
		await insertOrderRow(database.collections, orderId, customer.userId);
		const client = connectProvider({
			wsUrl: server.wsUrl,
			docName: `order/${orderId}`,
			cookie: customer.cookie
		});
		await client.synced();
		const seen = new Promise<number>((resolve) => {
			client.doc.on('update', () => {
				if (client.doc.getMap('meta').size > 0) resolve(performance.now());
			});
		});
		const started = performance.now();
		const result = await sync.initOrder(orderId, sampleMeta(orderId, customer.userId));
		const answered = performance.now();
		expect(result).toEqual({ applied: true, status: 'pending' });
		// durable as soon as it answered
		const stored = await readStored(database, `order/${orderId}`);
		expect(readOrder(stored.doc)?.meta.customerId).toBe(customer.userId);
		const seenAt = await seen;
		console.log(
			`service write: seen by a connected client after ${(seenAt - started).toFixed(1)} ms, durable answer after ${(answered - started).toFixed(1)} ms`
		);
		client.destroy();
	});

	it('is idempotent for the same write and refuses conflicting ones (409)', async () => {
		const orderId = randomId(8);
		const meta = sampleMeta(orderId, customer.userId);
		expect((await sync.initOrder(orderId, meta)).applied).toBe(true);
		expect((await sync.initOrder(orderId, meta)).applied).toBe(false);
		await expect(sync.initOrder(orderId, { ...meta, total: 1 })).rejects.toMatchObject({
			status: 409,
			code: 'meta_conflict'
		});
		const assignment = {
			partnerId: partner.userId,
			partnerName: partner.name,
			claimedAt: claimedAt()
		};
		const accepted = createEvent(actorOf(partner), 'accepted');
		expect(await sync.assign(orderId, assignment, accepted)).toEqual({
			applied: true,
			status: 'accepted'
		});
		expect((await sync.assign(orderId, assignment, accepted)).applied).toBe(false);
		await expect(
			sync.assign(
				orderId,
				{ ...assignment, partnerId: otherPartner.userId },
				createEvent(actorOf(otherPartner), 'accepted')
			)
		).rejects.toMatchObject({ status: 409, code: 'already_assigned' });
		const cancel = createEvent(actorOf(admin), 'cancelled', 'by support');
		expect(await sync.appendServerEvent(orderId, cancel)).toEqual({
			applied: true,
			status: 'cancelled'
		});
		expect((await sync.appendServerEvent(orderId, cancel)).applied).toBe(false);
		await expect(sync.appendServerEvent(randomId(8), cancel)).rejects.toMatchObject({
			status: 409,
			code: 'not_initialised'
		});
		const stored = readOrder((await readStored(database, `order/${orderId}`)).doc)!;
		expect(stored.events.map((e) => e.type)).toEqual(['accepted', 'cancelled']);
	});

	it('refuses requests without the secret, with a wrong one, or with only a user session (401)', async () => {
		const orderId = randomId(8);
		const body = { op: 'init', meta: sampleMeta(orderId, customer.userId) };
		const refusedHeaders: Array<Record<string, string>> = [
			{},
			{ authorization: 'Bearer wrong-secret-of-some-length' },
			{ authorization: TEST_SECRET },
			{ cookie: admin.cookie },
			{ cookie: admin.cookie, origin: 'http://127.0.0.1:3000' }
		];
		for (const headers of refusedHeaders) {
			const res = await post(orderId, body, headers);
			expect(res.status).toBe(401);
			expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
		}
		const wrong = createSyncClient({ baseUrl: server.url, secret: 'not-the-secret-at-all' });
		await expect(wrong.initOrder(orderId, body.meta)).rejects.toBeInstanceOf(SyncServiceError);
		expect((await readStored(database, `order/${orderId}`)).logEntries).toBe(0);
	});

	it('answers bad input with 400 naming the field', async () => {
		const auth = { authorization: `Bearer ${TEST_SECRET}` };
		const orderId = randomId(8);
		const meta = sampleMeta(orderId, customer.userId);
		const cases: Array<[unknown, string]> = [
			[{ op: 'nope' }, 'op'],
			[{ meta }, 'op'],
			[{ op: 'init', meta: { ...meta, total: -5 } }, 'meta.total'],
			[{ op: 'init', meta: { ...meta, items: [] } }, 'meta.items'],
			[{ op: 'init', meta: { ...meta, orderId: 'other1' } }, 'meta.orderId'],
			[
				{ op: 'event', event: { ...createEvent(actorOf(admin), 'cancelled'), type: 'pending' } },
				'event.type'
			],
			[
				{
					op: 'assign',
					assignment: { partnerId: partner.userId, partnerName: 'P', claimedAt: claimedAt() },
					event: createEvent(actorOf(partner), 'preparing')
				},
				'event.type'
			],
			[{ op: 'init', meta, extra: 1 }, '']
		];
		for (const [body, field] of cases) {
			const res = await post(orderId, body, auth);
			expect([field, res.status]).toEqual([field, 400]);
			const json = (await res.json()) as { error: { code: string; field?: string } };
			if (field) expect(json.error.field).toBe(field);
		}
		expect((await post(orderId, '{not json', auth)).status).toBe(400);
		expect((await post('BAD!', { op: 'init', meta }, auth)).status).toBe(400);
		const text = await fetch(`${server.url}/internal/orders/${orderId}/ops`, {
			method: 'POST',
			headers: { ...auth, 'content-type': 'text/plain' },
			body: 'x'
		});
		expect(text.status).toBe(415);
		const big = await post(
			orderId,
			{ op: 'init', meta: { ...meta, pad: 'x'.repeat(70_000) } },
			auth
		);
		expect(big.status).toBe(413);
		expect(
			(await fetch(`${server.url}/internal/orders/${orderId}/ops`, { headers: auth })).status
		).toBe(405);
		expect((await readStored(database, `order/${orderId}`)).logEntries).toBe(0);
	});
});
