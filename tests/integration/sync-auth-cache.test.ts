// The upgrade's caches (validated sessions and their users, an order's people) on a real server
// and database: a session cache far longer than any bound here still never lets an ended session
// in later than the revocation poll or the full sweep would close its sockets; they never let a
// wrong secret in, and never refuse anyone because of what they remember.
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
	readMetrics,
	startTestSyncServer,
	type SyncServerHandle,
	TEST_ORIGIN,
	type TestUser,
	tryUpgrade
} from '../support/sync-clients.ts';

/** Longer than this whole file takes: every bound below comes from the sweeps, not from it. */
const SESSION_CACHE_MS = 120_000;
/** An order's people: what bounds a rolled-back claim. */
const FACTS_CACHE_MS = 2_000;
/** The revocation log is polled every second (the test servers' default). */
const POLL_MS = 1_000;
const FULL_SWEEP_MS = 3_000;
/** A logout (noted in the revocation log) reaches new upgrades within a poll. */
const LOGOUT_BOUND_MS = 2 * POLL_MS + 500;
/** A change behind the web app's back (a role edited by hand) within a full sweep. */
const SWEEP_BOUND_MS = FULL_SWEEP_MS + POLL_MS + 500;
const FACTS_BOUND_MS = FACTS_CACHE_MS + POLL_MS;

let database: Database;
let server: SyncServerHandle;

beforeAll(async () => {
	const opened = await openTestDatabase('sync_auth_cache');
	database = opened.database;
	server = await startTestSyncServer(opened.uri, {
		SYNC_SESSION_CACHE_MS: String(SESSION_CACHE_MS),
		SYNC_AUTH_CACHE_MS: String(FACTS_CACHE_MS),
		SYNC_REVOCATION_FULL_SWEEP_MS: String(FULL_SWEEP_MS)
	});
});

afterAll(async () => {
	await server?.stop();
	await dropTestDatabase(database);
});

const sessionHits = async () =>
	(await readMetrics(server.url)).get(
		'sync_auth_cache_lookups_total{cache="sessions",outcome="hit"}'
	) ?? 0;

const upgrade = (docName: string, cookie: string) =>
	tryUpgrade(`${server.wsUrl}/${docName}`, { cookie, origin: TEST_ORIGIN });

/** Upgrades until the status is `status`; returns how long that took. */
async function untilStatus(
	docName: string,
	user: TestUser,
	status: number,
	boundMs: number
): Promise<number> {
	const started = Date.now();
	await eventually(
		async () => (await upgrade(docName, user.cookie)).status === status,
		boundMs + 5_000,
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
		const hitsBefore = await sessionHits();
		expect((await upgrade(feed, user.cookie)).status).toBe(101);
		expect((await upgrade(feed, user.cookie)).status).toBe(101);
		expect(await sessionHits()).toBeGreaterThanOrEqual(hitsBefore + 2);
		const closed = open.nextClose(LOGOUT_BOUND_MS + 5_000);
		await invalidateSession(database.collections, user.sessionId);
		const started = Date.now();
		const refusedAfter = await untilStatus(feed, user, 401, LOGOUT_BOUND_MS);
		expect(refusedAfter).toBeLessThan(LOGOUT_BOUND_MS);
		expect(await closed).toEqual({ code: 4401, reason: 'session ended' });
		expect(Date.now() - started).toBeLessThan(LOGOUT_BOUND_MS);
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
		// as a customer now: feed/open is not theirs (the full sweep re-checks cached sessions)
		expect(await untilStatus('feed/open', user, 403, SWEEP_BOUND_MS)).toBeLessThan(SWEEP_BOUND_MS);
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
		expect(await untilStatus(docName, partner, 403, FACTS_BOUND_MS)).toBeLessThan(FACTS_BOUND_MS);
		// the customer is not affected
		expect((await upgrade(docName, customer.cookie)).status).toBe(101);
	});
});
