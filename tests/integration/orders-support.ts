// The order lifecycle's test stack: a fresh database with the demo catalog, the real sync-server
// (from source) and the real built web app sharing it and SYNC_SECRET, plus users with sessions
// and API clients. Every server listens on 127.0.0.1; `stop()` ends them all.
import { expect } from 'vitest';
import { seedCatalog } from '../../src/lib/server/catalog.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { DEMO_MENU } from '../../src/lib/catalog/demo-menu.ts';
import { openTestDatabase } from '../support/database.ts';
import { startWebApp, type RunningProcess } from '../support/processes.ts';
import {
	connectProvider,
	createTestUser,
	startTestSyncServer,
	TEST_SECRET,
	type ProviderClient,
	type SyncServerHandle,
	type TestUser
} from '../support/sync-clients.ts';
import { Client, type Reply } from './auth-support.ts';

export { until } from '../support/sync-clients.ts';

export interface OrderStack {
	uri: string;
	database: Database;
	sync: SyncServerHandle;
	web: RunningProcess;
	/** Stops the sync-server only (to test outages); `stop()` copes with it being gone. */
	stopSync(): Promise<void>;
	/** Stops the sync-server (gracefully) and starts a new one on the same port. */
	restartSync(): Promise<void>;
	stop(): Promise<void>;
}

export async function startOrderStack(
	label: string,
	options: { syncEnv?: Record<string, string>; webEnv?: Record<string, string> } = {}
): Promise<OrderStack> {
	const { uri, database } = await openTestDatabase(label);
	await seedCatalog(database.collections);
	let sync = await startTestSyncServer(uri, options.syncEnv ?? {});
	const web = await startWebApp({
		MONGODB_URI: uri,
		SYNC_SECRET: TEST_SECRET,
		SYNC_INTERNAL_URL: sync.url,
		SYNC_URL: sync.wsUrl,
		...options.webEnv
	});
	let syncStopped = false;
	const stack: OrderStack = {
		uri,
		database,
		sync,
		web,
		async restartSync() {
			if (!syncStopped) await sync.stop();
			sync = await startTestSyncServer(uri, {
				...options.syncEnv,
				SYNC_PORT: String(sync.port)
			});
			stack.sync = sync;
			syncStopped = false;
		},
		async stopSync() {
			if (syncStopped) return;
			syncStopped = true;
			await sync.stop();
		},
		async stop() {
			await Promise.allSettled([web.stop(), syncStopped ? null : sync.stop()]);
			await database.db.dropDatabase().catch(() => undefined);
			await database.close();
		}
	};
	return stack;
}

/** A user with a session (made directly in the database) and an API client carrying it. */
export interface Person extends TestUser {
	api: Client;
}

export async function person(
	stack: OrderStack,
	role: TestUser['role'],
	name?: string
): Promise<Person> {
	const user = await createTestUser(stack.database.collections, role, name);
	const api = new Client(stack.web.url);
	api.setSessionToken(user.cookie.slice(user.cookie.indexOf('=') + 1));
	return { ...user, api };
}

/** Demo products that are for sale, and one that is sold out. */
const AVAILABLE = DEMO_MENU.filter((p) => p.available);
export const SOLD_OUT = DEMO_MENU.find((p) => !p.available);
export const P1 = AVAILABLE[0]!;
export const P2 = AVAILABLE[1]!;

export function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		items: [
			{ productId: P1.id, quantity: 2 },
			{ productId: P2.id, quantity: 1 }
		],
		address: { street: '12 Baker Street', city: 'London', postcode: 'NW1 6XE' },
		phone: '+44 20 7946 0000',
		paymentMethod: 'cod',
		...overrides
	};
}

/** Places an order as `customer` and returns its id (asserting the 201). */
export async function placeOrder(customer: Person, overrides: Record<string, unknown> = {}) {
	const reply = await customer.api.post('/api/orders', orderBody(overrides));
	expect(reply.status, reply.text).toBe(201);
	return reply.json.id as string;
}

export async function claim(partner: Person, orderId: string): Promise<Reply> {
	return partner.api.post(`/api/orders/${orderId}/claim`);
}

/** The stock y-websocket client in Node for `docName`, as `user`; synced before it returns. */
export async function openDoc(
	stack: OrderStack,
	user: TestUser,
	docName: string
): Promise<ProviderClient> {
	const client = connectProvider({ wsUrl: stack.sync.wsUrl, docName, cookie: user.cookie });
	await client.synced();
	return client;
}
