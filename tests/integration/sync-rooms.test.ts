// Authentication at the upgrade, Origin, room policy per role, quotas, revocation, and the stock
// y-websocket client syncing documents and awareness through the real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import {
	createSession,
	invalidateSession,
	invalidateUserSessions,
	SESSION_COOKIE
} from '../../src/lib/shared/session.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import {
	connectProvider,
	createTestUser,
	eventually,
	insertOrderRow,
	sampleMeta,
	serviceClient,
	startTestSyncServer,
	type SyncServerHandle,
	TEST_ORIGIN,
	type TestUser,
	tryUpgrade
} from '../support/sync-clients.ts';

let database: Database;
let server: SyncServerHandle;
let customer: TestUser;
let otherCustomer: TestUser;
let partner: TestUser;
let otherPartner: TestUser;
let admin: TestUser;
const orders = {
	mine: 'ordmine1',
	others: 'ordothers1',
	assigned: 'ordassigned1',
	open: 'ordopen1'
};

beforeAll(async () => {
	const opened = await openTestDatabase('sync_rooms');
	database = opened.database;
	const c = database.collections;
	[customer, otherCustomer, partner, otherPartner, admin] = await Promise.all([
		createTestUser(c, 'customer', 'Cara Customer'),
		createTestUser(c, 'customer'),
		createTestUser(c, 'partner', 'Pat Partner'),
		createTestUser(c, 'partner'),
		createTestUser(c, 'admin')
	]);
	await insertOrderRow(c, orders.mine, customer.userId, null);
	await insertOrderRow(c, orders.others, otherCustomer.userId, null);
	await insertOrderRow(c, orders.assigned, customer.userId, partner.userId);
	await insertOrderRow(c, orders.open, otherCustomer.userId, null);
	server = await startTestSyncServer(opened.uri, {
		SYNC_ROOMS_CUSTOMER: '3',
		SYNC_CONNECTIONS_PARTNER: '4'
	});
	// the documents as the web app writes them (the sync-server keeps the index in step with them)
	const sync = serviceClient(server);
	await sync.initOrder(orders.mine, sampleMeta(orders.mine, customer.userId));
	await sync.initOrder(orders.others, sampleMeta(orders.others, otherCustomer.userId));
	await sync.initOrder(orders.open, sampleMeta(orders.open, otherCustomer.userId));
	await sync.initOrder(orders.assigned, sampleMeta(orders.assigned, customer.userId));
	await sync.assign(
		orders.assigned,
		{ partnerId: partner.userId, partnerName: partner.name, claimedAt: new Date().toISOString() },
		createEvent({ userId: partner.userId, role: 'partner', name: partner.name }, 'accepted')
	);
});

afterAll(async () => {
	await server?.stop();
	await dropTestDatabase(database);
});

const upgrade = (docName: string, user: TestUser | null, origin: string | null = TEST_ORIGIN) => {
	const headers: Record<string, string> = {};
	if (user) headers.cookie = user.cookie;
	if (origin) headers.origin = origin;
	return tryUpgrade(`${server.wsUrl}/${docName}`, headers);
};

describe('authentication at the upgrade', () => {
	it('refuses a missing, garbage or unknown session with 401', async () => {
		expect((await upgrade('feed/admin', null)).status).toBe(401);
		for (const cookie of [
			`${SESSION_COOKIE}=garbage`,
			`${SESSION_COOKIE}=${'a'.repeat(24)}.${'b'.repeat(32)}`,
			`other=${admin.cookie.split('=')[1]}`
		]) {
			const outcome = await tryUpgrade(`${server.wsUrl}/feed/admin`, {
				cookie,
				origin: TEST_ORIGIN
			});
			expect(outcome.status).toBe(401);
			expect(JSON.parse(outcome.body)).toMatchObject({ error: { code: 'unauthenticated' } });
		}
	});

	it('refuses an expired session with 401', async () => {
		const user = await createTestUser(database.collections, 'admin');
		await database.collections.sessions.updateOne(
			{ _id: user.sessionId },
			{ $set: { expiresAt: new Date(Date.now() - 1000) } }
		);
		expect((await upgrade('feed/admin', user)).status).toBe(401);
	});

	it('refuses a foreign or missing Origin with 403, even with a valid session', async () => {
		for (const origin of ['http://evil.test', 'http://127.0.0.1:3001', null]) {
			const outcome = await upgrade('feed/admin', admin, origin);
			expect(outcome.status).toBe(403);
			expect(JSON.parse(outcome.body)).toMatchObject({ error: { code: 'forbidden_origin' } });
		}
		expect((await upgrade('feed/admin', admin)).status).toBe(101);
	});
});

describe('room policy per role', () => {
	const invalid = [
		'order/',
		'order/UPPER',
		'order/a/b',
		'feed',
		'feed/partner/',
		'feed/unknown',
		'misc'
	];

	it('customers: their own orders and their own feed only', async () => {
		const allowed = [
			`order/${orders.mine}`,
			`order/${orders.assigned}`,
			`feed/customer/${customer.userId}`
		];
		const refused = [
			`order/${orders.others}`,
			`order/${orders.open}`,
			'order/doesnotexist',
			'feed/admin',
			'feed/open',
			`feed/customer/${otherCustomer.userId}`,
			`feed/partner/${customer.userId}`,
			...invalid
		];
		for (const name of allowed)
			expect([name, (await upgrade(name, customer)).status]).toEqual([name, 101]);
		for (const name of refused)
			expect([name, (await upgrade(name, customer)).status]).toEqual([name, 403]);
	});

	it('partners: orders assigned to them, feed/open and their own feed only', async () => {
		const allowed = [`order/${orders.assigned}`, 'feed/open', `feed/partner/${partner.userId}`];
		const refused = [
			`order/${orders.mine}`,
			`order/${orders.open}`,
			'order/doesnotexist',
			'feed/admin',
			`feed/partner/${otherPartner.userId}`,
			`feed/customer/${partner.userId}`,
			...invalid
		];
		for (const name of allowed)
			expect([name, (await upgrade(name, partner)).status]).toEqual([name, 101]);
		for (const name of refused)
			expect([name, (await upgrade(name, partner)).status]).toEqual([name, 403]);
		// another partner may not open an order assigned to someone else
		expect((await upgrade(`order/${orders.assigned}`, otherPartner)).status).toBe(403);
	});

	it('admins: every existing order and every feed', async () => {
		const allowed = [
			...Object.values(orders).map((id) => `order/${id}`),
			'feed/admin',
			'feed/open',
			`feed/partner/${partner.userId}`,
			`feed/customer/${customer.userId}`
		];
		for (const name of allowed)
			expect([name, (await upgrade(name, admin)).status]).toEqual([name, 101]);
		for (const name of ['order/doesnotexist', ...invalid]) {
			expect([name, (await upgrade(name, admin)).status]).toEqual([name, 403]);
		}
		// not a name at all (spaces, a control character): 400, said as such
		for (const name of ['order%20x', 'order%01x']) {
			const outcome = await upgrade(name, admin);
			expect([name, outcome.status]).toEqual([name, 400]);
			expect(JSON.parse(outcome.body)).toEqual({
				error: { code: 'invalid_room', message: 'invalid document name' }
			});
		}
	});
});

describe('quotas', () => {
	it('refuses a room beyond the per-role quota of open rooms (403), and frees it on close', async () => {
		const c = database.collections;
		const user = await createTestUser(c, 'customer');
		const ids = ['quota1', 'quota2', 'quota3', 'quota4'];
		for (const id of ids) await insertOrderRow(c, id, user.userId);
		const clients = ids
			.slice(0, 3)
			.map((id) =>
				connectProvider({ wsUrl: server.wsUrl, docName: `order/${id}`, cookie: user.cookie })
			);
		await Promise.all(clients.map((client) => client.synced()));
		const refused = await upgrade(`order/${ids[3]}`, user);
		expect(refused.status).toBe(403);
		expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'room_quota' } });
		// a second socket into an open room is not a new room
		expect((await upgrade(`order/${ids[0]}`, user)).status).toBe(101);
		clients[2]!.destroy();
		await eventually(
			async () => (await upgrade(`order/${ids[3]}`, user)).status === 101,
			5_000,
			'slot freed'
		);
		clients.forEach((client) => client.destroy());
	});

	it('refuses connections beyond the per-user limit (403)', async () => {
		const user = await createTestUser(database.collections, 'partner');
		const clients = Array.from({ length: 4 }, () =>
			connectProvider({ wsUrl: server.wsUrl, docName: 'feed/open', cookie: user.cookie })
		);
		await Promise.all(clients.map((client) => client.synced()));
		const refused = await upgrade('feed/open', user);
		expect(refused.status).toBe(403);
		expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'connection_quota' } });
		clients.forEach((client) => client.destroy());
	});
});

describe('the stock y-websocket client', () => {
	it('syncs a document and awareness, with presence stamped by the server', async () => {
		const a = connectProvider({
			wsUrl: server.wsUrl,
			docName: `order/${orders.assigned}`,
			cookie: customer.cookie
		});
		const b = connectProvider({
			wsUrl: server.wsUrl,
			docName: `order/${orders.assigned}`,
			cookie: partner.cookie
		});
		await Promise.all([a.synced(), b.synced()]);
		expect(a.doc.getMap('meta').get('customerId')).toBe(customer.userId);
		expect(b.doc.getMap('meta').get('total')).toBe(1250);
		// a client claiming to be someone else in its presence is corrected by the server
		a.provider.awareness.setLocalStateField('user', {
			id: admin.userId,
			name: 'Not Me',
			role: 'admin',
			color: 'red'
		});
		const seen = await eventually(
			() => {
				const state = b.provider.awareness.getStates().get(a.doc.clientID) as
					{ user?: Record<string, unknown> } | undefined;
				return state?.user?.color === 'red' ? state : undefined;
			},
			5_000,
			'awareness of a at b'
		);
		expect(seen!.user).toEqual({
			id: customer.userId,
			name: 'Cara Customer',
			role: 'customer',
			color: 'red'
		});
		a.destroy();
		await eventually(() => !b.provider.awareness.getStates().has(a.doc.clientID), 5_000, 'a gone');
		b.destroy();
	});
});

/** A partner's socket on `feed/open` (the revocation tests watch it close). */
const openFeed = (on: SyncServerHandle, cookie: string) =>
	connectProvider({ wsUrl: on.wsUrl, docName: 'feed/open', cookie });

describe('revocation', () => {
	it('closes the sockets of a logged-out session within 5 s with 4401, and keeps others', async () => {
		const user = await createTestUser(database.collections, 'customer');
		const second = await createTestUser(database.collections, 'customer');
		const leaving = connectProvider({
			wsUrl: server.wsUrl,
			docName: `feed/customer/${user.userId}`,
			cookie: user.cookie
		});
		const staying = connectProvider({
			wsUrl: server.wsUrl,
			docName: `feed/customer/${second.userId}`,
			cookie: second.cookie
		});
		await Promise.all([leaving.synced(), staying.synced()]);
		const closed = leaving.nextClose(5_000);
		const started = Date.now();
		await invalidateSession(database.collections, user.sessionId);
		const info = await closed;
		expect(info).toEqual({ code: 4401, reason: 'session ended' });
		expect(Date.now() - started).toBeLessThan(5_000);
		// 4401 is final for y-websocket: it does not come back
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect(leaving.provider.wsconnected).toBe(false);
		expect(leaving.provider.shouldConnect).toBe(false);
		expect(staying.provider.wsconnected).toBe(true);
		expect(staying.closes).toEqual([]);
		leaving.destroy();
		staying.destroy();
	});

	it('closes every older session of a user who logged out everywhere, not the new one', async () => {
		const c = database.collections;
		const user = await createTestUser(c, 'partner');
		const { token: otherToken } = await createSession(c, user.userId);
		const phone = openFeed(server, user.cookie);
		const laptop = openFeed(server, `${SESSION_COOKIE}=${otherToken}`);
		await Promise.all([phone.synced(), laptop.synced()]);
		const closes = Promise.all([phone.nextClose(5_000), laptop.nextClose(5_000)]);
		const started = Date.now();
		// what a password change does: every session ends, then the browser gets a new one
		await invalidateUserSessions(c, user.userId);
		const { token: newToken } = await createSession(c, user.userId);
		const fresh = openFeed(server, `${SESSION_COOKIE}=${newToken}`);
		await fresh.synced();
		expect((await closes).map((info) => info.code)).toEqual([4401, 4401]);
		expect(Date.now() - started).toBeLessThan(5_000);
		// two more polls: the note is read again within its clock margin, the new session stays
		await new Promise((resolve) => setTimeout(resolve, 2_500));
		expect(fresh.provider.wsconnected).toBe(true);
		expect(fresh.closes).toEqual([]);
		for (const client of [phone, laptop, fresh]) client.destroy();
	});
});

describe("revocation behind the web app's back (the full sweep)", () => {
	it('closes the sockets of an expired session and of a deleted user, and prunes old notes', async () => {
		// its own database and server: a full sweep every 1.5 s instead of every 30 s
		const opened = await openTestDatabase('sync_revocation_full');
		const c = opened.database.collections;
		const old = new Date(Date.now() - 60 * 60_000);
		await c.sessionRevocations.insertOne({ _id: 'old-note', at: old, sessionId: 'gone' });
		const strict = await startTestSyncServer(opened.uri, { SYNC_REVOCATION_FULL_SWEEP_MS: '1500' });
		try {
			const expiring = await createTestUser(c, 'partner');
			const deleted = await createTestUser(c, 'partner');
			const a = openFeed(strict, expiring.cookie);
			const b = openFeed(strict, deleted.cookie);
			await Promise.all([a.synced(), b.synced()]);
			const closes = Promise.all([a.nextClose(5_000), b.nextClose(5_000)]);
			// changed in the database directly: no revocation note is written
			await c.sessions.updateOne(
				{ _id: expiring.sessionId },
				{ $set: { expiresAt: new Date(Date.now() - 1) } }
			);
			await c.users.deleteOne({ _id: deleted.userId });
			expect((await closes).map((info) => info.code)).toEqual([4401, 4401]);
			a.destroy();
			b.destroy();
			expect(await c.sessionRevocations.countDocuments({ _id: 'old-note' })).toBe(0);
		} finally {
			await strict.stop();
			await dropTestDatabase(opened.database);
		}
	});
});
