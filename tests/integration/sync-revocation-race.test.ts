// A logout that lands while an upgrade of the same session is between its authentication and its
// socket (the document still loading): the socket that opens afterwards is closed (4401) by the
// next polls, not left open until the full sweep. The real core, authentication, upgrade cache and
// revocation on FerretDB; the documents live in memory, and the test decides when one finishes
// loading. And a stop that comes while a poll is in flight waits for it (the process closes its
// database client right after).
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/lib/shared/db.ts';
import { createLogger } from '../../src/lib/shared/log.ts';
import {
	createSession,
	invalidateSession,
	invalidateUserSessions,
	SESSION_COOKIE
} from '../../src/lib/shared/session.ts';
import { SyncServer } from '../../sync-server/core/server.ts';
import type { SyncLimits } from '../../sync-server/core/types.ts';
import { AuthCache, authentication } from '../../sync-server/dispatch/authenticate.ts';
import type { DispatchPrincipal } from '../../sync-server/dispatch/principal.ts';
import { revocation } from '../../sync-server/dispatch/revocation.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import {
	createTestUser,
	eventually,
	headersFor,
	RawSyncClient,
	TEST_ORIGIN,
	withTimeout
} from '../support/sync-clients.ts';

const POLL_MS = 100;
/** A few polls: what a revocation may take here. */
const BOUND_MS = 20 * POLL_MS;

const LIMITS = {
	maxMessageBytes: 1_000_000,
	maxDocumentBytes: 1_000_000,
	messagesPerSecond: 100,
	messageBurst: 100,
	maxBufferedBytes: 1_000_000,
	maxAwarenessClientsPerConnection: 4,
	maxAwarenessStateBytes: 2048,
	awarenessBytesPerSecond: 8192,
	authConcurrency: 8,
	loadConcurrency: 8,
	maxPendingUpgrades: 100,
	loadTimeoutMs: 30_000,
	idleUnloadMs: 60_000,
	pingIntervalMs: 60_000,
	listenBacklog: 64,
	relay: 'accepted'
} satisfies SyncLimits;

let database: Database;
let server: SyncServer<DispatchPrincipal>;
let wsUrl: string;
/** The upgrade cache: long-lived here, so only the revocation can make it forget a session. */
const cache = new AuthCache({ ttlMs: 60_000, maxEntries: 100 });
/** Loads the test holds, by document: `started` is called when it begins, then it waits for `gate`. */
const held = new Map<string, { started: () => void; gate: Promise<void> }>();

/** The next load of `docName` waits until `release()`; `started` resolves once it began. */
function holdLoad(docName: string): { started: Promise<void>; release: () => void } {
	let release = () => {};
	const gate = new Promise<void>((resolve) => (release = resolve));
	const started = new Promise<void>((resolve) => held.set(docName, { started: resolve, gate }));
	return { started, release };
}

beforeAll(async () => {
	const opened = await openTestDatabase('sync_revocation_race');
	database = opened.database;
	const log = createLogger('revocation-race', 'silent');
	server = new SyncServer<DispatchPrincipal>({
		limits: LIMITS,
		log,
		registry: new Registry(),
		extensions: (server) => [
			authentication({
				collections: database.collections,
				allowedOrigins: [TEST_ORIGIN],
				cache
			}),
			{
				name: 'held-memory',
				load: async (docName) => {
					const hold = held.get(docName);
					if (hold) {
						held.delete(docName);
						hold.started();
						await hold.gate;
					}
					return null;
				},
				store: async () => undefined
			},
			revocation({
				server,
				collections: database.collections,
				intervalMs: POLL_MS,
				fullSweepMs: 600_000,
				log,
				cache
			})
		]
	});
	const address = await server.listen(0, '127.0.0.1');
	wsUrl = `ws://127.0.0.1:${address.port}`;
});

afterAll(async () => {
	await server?.close();
	await dropTestDatabase(database);
});

/** Whether the upgrade cache holds this session. */
function isCached(sessionId: string): boolean {
	let found = false;
	cache.sessions.forEach((principal) => (found ||= principal.sessionId === sessionId));
	return found;
}

/** Opens a socket to `docName`; resolves once it is open (after its document loaded). */
const openSocket = (docName: string, cookie: string) =>
	RawSyncClient.open(`${wsUrl}/${docName}`, headersFor({ cookie }), { timeoutMs: 20_000 });

describe('a logout racing an upgrade of the same session', () => {
	it('closes the socket that opens after the logout was read', async () => {
		const user = await createTestUser(database.collections, 'customer');
		const feed = `feed/customer/${user.userId}`;
		const hold = holdLoad(feed);
		const opening = openSocket(feed, user.cookie);
		await withTimeout(hold.started, 10_000, 'the load to start');

		// the upgrade is authenticated; the session ends now, and the polls read it
		await invalidateSession(database.collections, user.sessionId);
		await eventually(() => !isCached(user.sessionId), 10_000, 'a poll to forget the session');

		hold.release();
		const socket = await opening;
		const closed = await withTimeout(socket.closed, BOUND_MS, 'the late socket to close');
		expect(closed).toEqual({ code: 4401, reason: 'session ended' });
	});

	it('after "log out everywhere", closes a late socket of an old session and keeps a new session’s', async () => {
		const user = await createTestUser(database.collections, 'partner');
		const hold = holdLoad('feed/open');
		const opening = openSocket('feed/open', user.cookie);
		await withTimeout(hold.started, 10_000, 'the load to start');

		await invalidateUserSessions(database.collections, user.userId);
		// the same person signs in again, and opens a socket with the new session
		const { token } = await createSession(database.collections, user.userId);
		const fresh = await openSocket(`feed/partner/${user.userId}`, `${SESSION_COOKIE}=${token}`);
		await eventually(() => !isCached(user.sessionId), 10_000, 'a poll to forget the old session');

		hold.release();
		const late = await opening;
		const closed = await withTimeout(late.closed, BOUND_MS, 'the late socket to close');
		expect(closed).toEqual({ code: 4401, reason: 'session ended' });
		// a few more polls: the new session's socket stays
		await new Promise((resolve) => setTimeout(resolve, 5 * POLL_MS));
		expect(fresh.isOpen).toBe(true);
		fresh.close();
	});
});

describe('a stop while a poll is in flight', () => {
	it('waits for the poll, so closing the database client right after logs no failed sweep', async () => {
		const warnings: string[] = [];
		const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
		const idle = new SyncServer<DispatchPrincipal>({
			limits: LIMITS,
			log,
			registry: new Registry(),
			extensions: () => []
		});
		// a poll every millisecond: one is nearly always in flight when the stop comes
		for (let round = 0; round < 10; round++) {
			const { database: own } = await openTestDatabase('sync_revocation_race');
			const sweeps = revocation({
				server: idle,
				collections: own.collections,
				intervalMs: 1,
				fullSweepMs: 600_000,
				log
			});
			sweeps.start?.();
			await new Promise((resolve) => setTimeout(resolve, 20 + round * 3));
			await sweeps.stopping?.();
			await own.close();
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		expect(warnings).toEqual([]);
	});
});
