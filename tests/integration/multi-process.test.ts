// Dispatch as several processes: two built web apps and two sync-servers sharing one database and
// one Redis, as behind a load balancer (every server on 127.0.0.1). What each web process decides alone must
// still hold for the whole: failed logins are counted together, a one-time token works once,
// one partner wins a claim. A logout through one web process closes the session's sockets on
// every sync-server within the revocation poll, and its cookie opens nothing anywhere after.
// The sync-servers' quotas are per process, and each one says so when it starts.
//
// The web apps' service channel goes to the first sync-server (SYNC_INTERNAL_URL); the second
// one has every order through Redis.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderDocName, readOrder } from '../../src/lib/order/index.ts';
import { seedCatalog } from '../../src/lib/server/catalog.ts';
import { FREE_FAILURES_PER_ACCOUNT } from '../../src/lib/server/auth/flows.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import { QUOTAS_PER_PROCESS } from '../../sync-server/dispatch/quotas.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { startWebApp, type RunningProcess } from '../support/processes.ts';
import {
	connectProvider,
	createTestUser,
	eventually,
	headersFor,
	insertOrderRow,
	RawSyncClient,
	startTestSyncServer,
	TEST_SECRET,
	tryUpgrade,
	type CloseInfo,
	type ProviderClient,
	type SyncServerHandle,
	type TestUser
} from '../support/sync-clients.ts';
import {
	Client,
	expectApiError,
	loginLimitEnv,
	tokenFromMail,
	uniqueEmail,
	waitForMails,
	type Reply
} from './auth-support.ts';
import { orderBody } from './orders-support.ts';

const PER_IP = 8;
const PER_EMAIL = 5;
/** A day, so that no window ends while a test counts (windows are aligned to the clock). */
const WINDOW_SECONDS = 86_400;
const LOGIN_DELAY_MS = 1_000;
/** The sync-servers' revocation poll: the default, so the measured bound is the real one. */
const REVOCATION_INTERVAL_MS = 2_000;
/** What a revocation may take on a loaded machine: one poll, its queries and the close. */
const REVOCATION_BOUND_MS = REVOCATION_INTERVAL_MS + 3_000;
const CUSTOMER_CONNECTIONS = 3;
const CUSTOMER_ROOMS = 2;
const PASSWORD = 'multi process password';
/** Both web processes boot with it, at the same moment. */
const ADMIN_EMAIL = 'ops@example.com';

let database: Database;
let webs: RunningProcess[] = [];
let syncs: SyncServerHandle[] = [];
let redis: TestRedis | undefined;

/** `count` distinct free loopback ports. */
async function distinctPorts(count: number): Promise<number[]> {
	const found = new Set<number>();
	while (found.size < count) found.add(await freePort());
	return [...found];
}

beforeAll(async () => {
	const opened = await openTestDatabase('multi_process');
	database = opened.database;
	await seedCatalog(database.collections);
	redis = await startTestRedis();
	const [syncPortA, syncPortB, webPortA, webPortB] = await distinctPorts(4);
	const syncEnv = (port: number, processId: string) => ({
		SYNC_PORT: String(port),
		REDIS_URL: redis!.url,
		SYNC_PROCESS_ID: processId,
		SYNC_REVOCATION_INTERVAL_MS: String(REVOCATION_INTERVAL_MS),
		SYNC_CONNECTIONS_CUSTOMER: String(CUSTOMER_CONNECTIONS),
		SYNC_ROOMS_CUSTOMER: String(CUSTOMER_ROOMS),
		LOG_LEVEL: 'info'
	});
	const webEnv = (port: number) => ({
		MONGODB_URI: opened.uri,
		PORT: String(port),
		SYNC_SECRET: TEST_SECRET,
		SYNC_INTERNAL_URL: `http://127.0.0.1:${syncPortA}`,
		SYNC_URL: `ws://127.0.0.1:${syncPortA}`,
		...loginLimitEnv({ perEmail: PER_EMAIL, perIp: PER_IP, windowSeconds: WINDOW_SECONDS }),
		LOGIN_DELAY_MS: String(LOGIN_DELAY_MS),
		ADMIN_EMAIL,
		ADMIN_PASSWORD: PASSWORD
	});
	// all four at once on a fresh database, as a deployment starts them
	const started = await Promise.allSettled([
		startTestSyncServer(opened.uri, syncEnv(syncPortA!, 'sync-a')),
		startTestSyncServer(opened.uri, syncEnv(syncPortB!, 'sync-b')),
		startWebApp(webEnv(webPortA!)),
		startWebApp(webEnv(webPortB!))
	]);
	const [syncA, syncB, webA, webB] = started.map((s) =>
		s.status === 'fulfilled' ? s.value : null
	);
	syncs = [syncA, syncB].filter((s) => s !== null) as SyncServerHandle[];
	webs = [webA, webB].filter((s) => s !== null) as RunningProcess[];
	const failed = started.find((s) => s.status === 'rejected');
	if (failed) throw (failed as PromiseRejectedResult).reason;
});

afterAll(async () => {
	await Promise.allSettled([...webs, ...syncs].map((p) => p.stop()));
	await redis?.destroy();
	await dropTestDatabase(database);
});

const [A, B] = [0, 1];

let ipCounter = 0;
/** A client of web process `which` whose requests come from an address of its own. */
function fromNewIp(which: number): Client {
	ipCounter += 1;
	return new Client(webs[which]!.url, {
		'x-forwarded-for': `198.51.${Math.floor(ipCounter / 250)}.${ipCounter % 250}`
	});
}

/** A client of web process `which` from `address`. */
const fromIp = (which: number, address: string) =>
	new Client(webs[which]!.url, { 'x-forwarded-for': address });

/** A client of web process `which` carrying `user`'s session. */
function signedIn(which: number, user: TestUser | { token: string }): Client {
	const client = fromNewIp(which);
	client.setSessionToken('token' in user ? user.token : user.cookie.split('=')[1]!);
	return client;
}

function statuses(replies: Reply[]): Record<number, number> {
	const counts: Record<number, number> = {};
	for (const r of replies) counts[r.status] = (counts[r.status] ?? 0) + 1;
	return counts;
}

async function register(which: number, label: string): Promise<{ email: string; client: Client }> {
	const email = uniqueEmail(label);
	const client = fromNewIp(which);
	const reply = await client.post('/api/auth/register', { email, password: PASSWORD, name: 'Mo' });
	expect(reply.status, reply.text).toBe(201);
	return { email, client };
}

describe('starting together', () => {
	it('both web processes, booted at once with one ADMIN_EMAIL, made one admin, who logs in on either', async () => {
		const admins = await database.collections.users.find({ email: ADMIN_EMAIL }).toArray();
		expect(admins.map((u) => u.role)).toEqual(['admin']);
		for (const which of [A, B]) {
			const reply = await fromNewIp(which).post('/api/auth/login', {
				email: ADMIN_EMAIL,
				password: PASSWORD
			});
			expect(reply.status, reply.text).toBe(200);
			expect(reply.json.user.id).toBe(admins[0]!._id);
		}
	});
});

describe('login limits over two web processes', () => {
	/** Wrong logins one after another until one is refused; returns how many were checked (401). */
	async function failuresUntilRefused(
		attempt: (i: number) => Promise<Reply>
	): Promise<{ failures: number; refusal: Reply }> {
		let failures = 0;
		const deadline = Date.now() + 30_000;
		for (let i = 0; ; i++) {
			const reply = await attempt(i);
			if (reply.status === 401) {
				failures++;
				continue;
			}
			expectApiError(reply, 429, 'rate_limited');
			// a wait between an account's failures is a second or two; the cap lasts the window
			if (Number(reply.headers.get('retry-after')) > 10) return { failures, refusal: reply };
			if (Date.now() > deadline) throw new Error(`still waiting after ${failures} failures`);
			await sleep(LOGIN_DELAY_MS / 2);
		}
	}

	it('counts one address’s failures together: the cap is reached at the same total as on one process', async () => {
		const oneProcess = `203.0.113.${1 + (Date.now() % 100)}`;
		const both = `203.0.113.${101 + (Date.now() % 100)}`;
		const wrong = (client: Client) =>
			client.post('/api/auth/login', { email: uniqueEmail('spray'), password: 'a guess' });

		const alone = await failuresUntilRefused(() => wrong(fromIp(A, oneProcess)));
		const alternated = await failuresUntilRefused((i) => wrong(fromIp(i % 2, both)));
		expect(alone.failures).toBe(PER_IP);
		expect(alternated.failures).toBe(PER_IP);
		// and from then on both processes refuse that address, even a right password
		const { email } = await register(A, 'spray-victim');
		for (const which of [A, B]) {
			const reply = await fromIp(which, both).post('/api/auth/login', {
				email,
				password: PASSWORD
			});
			expectApiError(reply, 429, 'rate_limited');
		}
	});

	it('counts one account’s failures together, waits included, up to the same cap', async () => {
		const single = await register(A, 'account-one');
		const shared = await register(B, 'account-both');
		const wrong = (which: number, email: string) =>
			fromNewIp(which).post('/api/auth/login', { email, password: 'not it' });

		const alone = await failuresUntilRefused(() => wrong(A, single.email));
		const alternated = await failuresUntilRefused((i) => wrong(i % 2, shared.email));
		expect(alone.failures).toBe(PER_EMAIL);
		expect(alternated.failures).toBe(PER_EMAIL);
		for (const which of [A, B]) {
			const right = await fromNewIp(which).post('/api/auth/login', {
				email: shared.email,
				password: PASSWORD
			});
			expectApiError(right, 429, 'rate_limited');
		}
	});

	it('lets no more than the cap through when attempts hit both processes at once', async () => {
		for (let round = 0; round < 3; round++) {
			const address = `192.0.2.${10 * round + (Date.now() % 10)}`;
			const replies = await Promise.all(
				Array.from({ length: 24 }, (_, i) =>
					fromIp(i % 2, address).post('/api/auth/login', {
						email: uniqueEmail('burst'),
						password: 'a guess'
					})
				)
			);
			expect(statuses(replies), `round ${round}`).toEqual({ 401: PER_IP, 429: 24 - PER_IP });

			// one account from many addresses: only its free failures are checked, then it waits
			const { email } = await register(round % 2, `burst-account-${round}`);
			const onAccount = await Promise.all(
				Array.from({ length: 16 }, (_, i) =>
					fromNewIp(i % 2).post('/api/auth/login', { email, password: 'not it' })
				)
			);
			expect(statuses(onAccount), `round ${round}`).toEqual({
				401: FREE_FAILURES_PER_ACCOUNT,
				429: 16 - FREE_FAILURES_PER_ACCOUNT
			});
		}
	});
});

describe('one-time tokens over two web processes', () => {
	it('a verification link used on both processes at the same moment works exactly once', async () => {
		for (let round = 0; round < 5; round++) {
			const { email } = await register(round % 2, `verify-${round}`);
			const [mail] = await waitForMails(database, email, /confirm your email/i);
			const token = tokenFromMail(mail!, '/verify-email');
			const replies = await Promise.all(
				[A, B, A, B].map((which) => fromNewIp(which).post('/api/auth/verify-email', { token }))
			);
			expect(statuses(replies), `round ${round}`).toEqual({ 200: 1, 400: 3 });
			for (const loser of replies.filter((r) => r.status !== 200)) {
				expectApiError(loser, 400, 'invalid_token');
			}
			const user = await database.collections.users.findOne({ email });
			expect(user?.emailVerifiedAt).toBeInstanceOf(Date);
		}
	});

	it('a reset link used on both processes at the same moment sets exactly one password', async () => {
		for (let round = 0; round < 3; round++) {
			const { email } = await register(A, `reset-${round}`);
			const ask = await fromNewIp(B).post('/api/auth/forgot-password', { email });
			expect(ask.status, ask.text).toBe(202);
			const [mail] = await waitForMails(database, email, /reset your/i);
			const token = tokenFromMail(mail!, '/reset-password');
			const passwords = [`round ${round} on A!`, `round ${round} on B!`];
			const replies = await Promise.all(
				[A, B].map((which) =>
					fromNewIp(which).post('/api/auth/reset-password', { token, password: passwords[which] })
				)
			);
			expect(statuses(replies), `round ${round}`).toEqual({ 204: 1, 400: 1 });
			const won = replies.findIndex((r) => r.status === 204);
			expectApiError(replies[1 - won]!, 400, 'invalid_token');
			// the winner's password is the account's, on either process; the loser's is not
			for (const which of [A, B]) {
				const ok = await fromNewIp(which).post('/api/auth/login', {
					email,
					password: passwords[won]
				});
				expect(ok.status, ok.text).toBe(200);
			}
			const lost = await fromNewIp(won).post('/api/auth/login', {
				email,
				password: passwords[1 - won]
			});
			expectApiError(lost, 401, 'invalid_credentials');
		}
	});
});

describe('claims over two web processes', () => {
	it('two partners claiming one order at the same moment: one wins, the other gets 409, the document one accepted event', async () => {
		const c = database.collections;
		const customer = await createTestUser(c, 'customer', 'Cass Customer');
		const admin = await createTestUser(c, 'admin', 'Ada Admin');
		const partners = await Promise.all([
			createTestUser(c, 'partner', 'Pat One'),
			createTestUser(c, 'partner', 'Pat Two')
		]);
		for (let round = 0; round < 5; round++) {
			const placed = await signedIn(round % 2, customer).post('/api/orders', orderBody());
			expect(placed.status, placed.text).toBe(201);
			const orderId = placed.json.id as string;
			// partner i claims through web process (i + round) % 2
			const replies = await Promise.all(
				partners.map((p, i) => signedIn((i + round) % 2, p).post(`/api/orders/${orderId}/claim`))
			);
			expect(statuses(replies), `round ${round}`).toEqual({ 200: 1, 409: 1 });
			const won = replies.findIndex((r) => r.status === 200);
			const winner = partners[won]!;
			expectApiError(replies[1 - won]!, 409, 'already_taken');
			expect(replies[won]!.json.order).toMatchObject({ partnerId: winner.userId });

			// the document says so on the sync-server that wrote it and on the other one
			for (const sync of syncs) {
				const doc = connectProvider({
					wsUrl: sync.wsUrl,
					docName: orderDocName(orderId),
					cookie: admin.cookie
				});
				try {
					await doc.synced();
					const events = readOrder(doc.doc)!.events;
					expect(
						events.filter((e) => e.type === 'accepted'),
						sync.url
					).toHaveLength(1);
					expect(events[0]).toMatchObject({ type: 'accepted', by: winner.userId });
				} finally {
					doc.destroy();
				}
			}
			const row = await c.orders.findOne({ _id: orderId });
			expect(row).toMatchObject({ partnerId: winner.userId, status: 'accepted' });
		}
	});
});

describe('sessions over two web processes and two sync-servers', () => {
	/** Resolves with the close and the ms from `since()` to it. */
	function timedClose(client: ProviderClient, since: () => number) {
		return client
			.nextClose(REVOCATION_BOUND_MS + 10_000)
			.then((info: CloseInfo) => ({ ...info, ms: Date.now() - since() }));
	}

	const ROUNDS = 3;

	it(`a logout through web process A closes the session’s sockets on both sync-servers (4401) within the poll and its cookie opens nothing (${ROUNDS} rounds)`, async () => {
		// someone else, connected to both sync-servers too, is not affected
		const bystander = await createTestUser(database.collections, 'customer', 'Bea Bystander');
		const open = (sync: SyncServerHandle, who: { cookie: string }, docName: string) =>
			connectProvider({ wsUrl: sync.wsUrl, docName, cookie: who.cookie, reconnect: false });
		const others = syncs.map((sync) => open(sync, bystander, `feed/customer/${bystander.userId}`));
		const measured: number[][] = [[], []];
		try {
			for (let round = 0; round < ROUNDS; round++) {
				// the session comes from a login through web process B
				const { email } = await register(A, `leaver-${round}`);
				const login = fromNewIp(B);
				const loggedIn = await login.post('/api/auth/login', { email, password: PASSWORD });
				expect(loggedIn.status, loggedIn.text).toBe(200);
				const token = login.sessionToken!;
				const cookie = `dispatch_session=${token}`;
				const feed = `feed/customer/${loggedIn.json.user.id as string}`;
				// two sockets on each sync-server
				const sockets = [A, A, B, B].map((which) => open(syncs[which]!, { cookie }, feed));
				try {
					await Promise.all([...sockets, ...others].map((s) => s.synced()));
					let loggedOutAt = 0;
					const closes = sockets.map((s) => timedClose(s, () => loggedOutAt));
					loggedOutAt = Date.now();
					const logout = await signedIn(A, { token }).post('/api/auth/logout');
					expect(logout.status, logout.text).toBe(204);
					const closed = await Promise.all(closes);
					for (const [i, close] of closed.entries()) {
						expect(close).toMatchObject({ code: 4401, reason: 'session ended' });
						expect(close.ms).toBeLessThan(REVOCATION_BOUND_MS);
						measured[i < 2 ? A : B]!.push(close.ms);
					}

					// the cookie opens nothing on either sync-server, nor on either web process
					for (const sync of syncs) {
						const upgrade = await tryUpgrade(`${sync.wsUrl}/${feed}`, headersFor({ cookie }));
						expect(upgrade.status, sync.url).toBe(401);
					}
					for (const which of [A, B]) {
						const me = await signedIn(which, { token }).get('/api/me');
						expectApiError(me, 401, 'unauthenticated');
					}
				} finally {
					for (const s of sockets) s.destroy();
				}
			}
			console.log(
				`logout through web A → 4401, ms per socket: sync A ${measured[A]!.join(', ')}; ` +
					`sync B ${measured[B]!.join(', ')} (poll every ${REVOCATION_INTERVAL_MS} ms)`
			);
			// the bystander's sockets are still open
			for (const other of others) {
				expect(other.closes).toEqual([]);
				expect(other.provider.wsconnected).toBe(true);
			}
		} finally {
			for (const s of others) s.destroy();
		}
	});
});

describe('quotas over two sync-servers', () => {
	const upgrade = (sync: SyncServerHandle, docName: string, user: TestUser) =>
		tryUpgrade(`${sync.wsUrl}/${docName}`, headersFor(user));

	it('are per process, as each sync-server says at startup: with two a user holds twice the sockets and rooms', async () => {
		for (const sync of syncs) {
			expect(sync.output()).toContain(QUOTAS_PER_PROCESS);
			const line = sync
				.output()
				.split('\n')
				.find((l) => l.includes(QUOTAS_PER_PROCESS))!;
			expect(JSON.parse(line).quotas).toMatchObject({
				rooms: { customer: CUSTOMER_ROOMS },
				connections: { customer: CUSTOMER_CONNECTIONS }
			});
		}

		const customer = await createTestUser(database.collections, 'customer', 'Quinn Quota');
		const feed = `feed/customer/${customer.userId}`;
		const held: RawSyncClient[] = [];
		try {
			// sockets: the limit on each process, so twice the limit in all
			for (const sync of syncs) {
				for (let i = 0; i < CUSTOMER_CONNECTIONS; i++) {
					held.push(await RawSyncClient.open(`${sync.wsUrl}/${feed}`, headersFor(customer)));
				}
				const over = await upgrade(sync, feed, customer);
				expect(over.status).toBe(403);
				expect(over.body).toContain('connection_quota');
			}
			expect(held.filter((s) => s.isOpen)).toHaveLength(2 * CUSTOMER_CONNECTIONS);
			for (const socket of held.splice(0)) socket.close();
			// a closed socket gives its slot back (on each process)
			await eventually(
				async () =>
					(await upgrade(syncs[A]!, feed, customer)).status === 101 &&
					(await upgrade(syncs[B]!, feed, customer)).status === 101,
				10_000,
				'slots given back'
			);

			// rooms: a third order is refused on A, where two are open, and opens on B
			const orders = [randomId(8), randomId(8), randomId(8)];
			for (const orderId of orders) {
				await insertOrderRow(database.collections, orderId, customer.userId);
			}
			for (const orderId of orders.slice(0, CUSTOMER_ROOMS)) {
				held.push(
					await RawSyncClient.open(
						`${syncs[A]!.wsUrl}/${orderDocName(orderId)}`,
						headersFor(customer)
					)
				);
			}
			const third = orderDocName(orders[CUSTOMER_ROOMS]!);
			const refused = await upgrade(syncs[A]!, third, customer);
			expect(refused.status).toBe(403);
			expect(refused.body).toContain('room_quota');
			expect((await upgrade(syncs[B]!, third, customer)).status).toBe(101);
		} finally {
			for (const socket of held) socket.close();
		}
	});
});
