// The upgrade's short-lived caches (validated sessions and their users, an order's people) on a
// real server and database: they never outlive a revocation by more than the cache's lifetime,
// never let a wrong secret in, and never refuse anyone because of what they remember.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidateSession, SESSION_COOKIE } from '../../src/lib/shared/session.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import {
	connectProvider,
	createTestUser,
	eventually,
	insertOrderRow,
	startTestSyncServer,
	type SyncServerHandle,
	TEST_ORIGIN,
	type TestUser,
	tryUpgrade
} from '../support/sync-clients.ts';

/** The cache lifetime the server runs with; the sweep runs every second (test default). */
const CACHE_MS = 2_000;
/** What a revocation may take to reach new upgrades: the cache's lifetime plus one sweep. */
const BOUND_MS = CACHE_MS + 1_000;

let database: Database;
let server: SyncServerHandle;

beforeAll(async () => {
	const opened = await openTestDatabase('sync_auth_cache');
	database = opened.database;
	server = await startTestSyncServer(opened.uri, { SYNC_AUTH_CACHE_MS: String(CACHE_MS) });
});

afterAll(async () => {
	await server?.stop();
	await dropTestDatabase(database);
});

const upgrade = (docName: string, cookie: string) =>
	tryUpgrade(`${server.wsUrl}/${docName}`, { cookie, origin: TEST_ORIGIN });

/** Upgrades until the status is `status`; returns how long that took. */
async function untilStatus(docName: string, user: TestUser, status: number): Promise<number> {
	const started = Date.now();
	await eventually(
		async () => (await upgrade(docName, user.cookie)).status === status,
		BOUND_MS + 5_000,
		`upgrade ${docName} answered ${status}`
	);
	return Date.now() - started;
}

describe('session cache', () => {
	it('refuses a logged-out session within the bound and closes its sockets', async () => {
		const user = await createTestUser(database.collections, 'customer');
		const feed = `feed/customer/${user.userId}`;
		const open = connectProvider({ wsUrl: server.wsUrl, docName: feed, cookie: user.cookie });
		await open.synced();
		// the session is cached now: these are answered from memory
		expect((await upgrade(feed, user.cookie)).status).toBe(101);
		const closed = open.nextClose(BOUND_MS + 5_000);
		await invalidateSession(database.collections, user.sessionId);
		const started = Date.now();
		const refusedAfter = await untilStatus(feed, user, 401);
		expect(refusedAfter).toBeLessThan(BOUND_MS);
		expect(await closed).toEqual({ code: 4401, reason: 'session ended' });
		expect(Date.now() - started).toBeLessThan(BOUND_MS);
		// and from then on, every time
		for (let i = 0; i < 3; i++) expect((await upgrade(feed, user.cookie)).status).toBe(401);
		open.destroy();
	});

	it('refuses the right session id with a wrong secret while the session is cached', async () => {
		const user = await createTestUser(database.collections, 'customer');
		const feed = `feed/customer/${user.userId}`;
		expect((await upgrade(feed, user.cookie)).status).toBe(101);
		const forged = `${SESSION_COOKIE}=${user.sessionId}.${'a'.repeat(32)}`;
		expect((await upgrade(feed, forged)).status).toBe(401);
		expect((await upgrade(feed, user.cookie)).status).toBe(101);
	});

	it('refuses a user whose role changed within the bound', async () => {
		const user = await createTestUser(database.collections, 'partner');
		expect((await upgrade('feed/open', user.cookie)).status).toBe(101);
		await database.collections.users.updateOne(
			{ _id: user.userId },
			{ $set: { role: 'customer' } }
		);
		// as a customer now: feed/open is not theirs
		expect(await untilStatus('feed/open', user, 403)).toBeLessThan(BOUND_MS);
	});
});

describe('order facts cache', () => {
	it('lets a partner in right after the claim, although the unclaimed order was cached', async () => {
		const c = database.collections;
		const [customer, partner] = await Promise.all([
			createTestUser(c, 'customer'),
			createTestUser(c, 'partner')
		]);
		const orderId = randomId(8);
		const docName = `order/${orderId}`;
		await insertOrderRow(c, orderId, customer.userId, null);
		expect((await upgrade(docName, customer.cookie)).status).toBe(101);
		expect((await upgrade(docName, partner.cookie)).status).toBe(403);
		// the claim: decided in the index (claim.ts), then answered to the partner
		await c.orders.updateOne({ _id: orderId }, { $set: { partnerId: partner.userId } });
		expect((await upgrade(docName, partner.cookie)).status).toBe(101);
	});

	it('lets a customer into an order created right after a refused attempt', async () => {
		const customer = await createTestUser(database.collections, 'customer');
		const orderId = randomId(8);
		expect((await upgrade(`order/${orderId}`, customer.cookie)).status).toBe(403);
		await insertOrderRow(database.collections, orderId, customer.userId, null);
		expect((await upgrade(`order/${orderId}`, customer.cookie)).status).toBe(101);
	});

	it('refuses a partner whose claim was rolled back within the bound', async () => {
		const c = database.collections;
		const [customer, partner] = await Promise.all([
			createTestUser(c, 'customer'),
			createTestUser(c, 'partner')
		]);
		const orderId = randomId(8);
		const docName = `order/${orderId}`;
		await insertOrderRow(c, orderId, customer.userId, partner.userId);
		expect((await upgrade(docName, partner.cookie)).status).toBe(101);
		await c.orders.updateOne({ _id: orderId }, { $set: { partnerId: null } });
		expect(await untilStatus(docName, partner, 403)).toBeLessThan(BOUND_MS);
		// the customer is not affected
		expect((await upgrade(docName, customer.cookie)).status).toBe(101);
	});
});
