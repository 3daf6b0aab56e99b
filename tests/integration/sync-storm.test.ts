// A reconnect storm: 1,000 clients come back at once after a restart and all of them resync.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEvent, readOrder, type Actor } from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import {
	createTestUser,
	headersFor,
	insertOrderRow,
	RawSyncClient,
	readMetrics,
	sampleMeta,
	serviceClient,
	startTestSyncServer,
	type SyncServerHandle,
	type TestUser,
	withTimeout
} from '../support/sync-clients.ts';

const CLIENTS = 1_000;
const CUSTOMERS = 50;
const ORDERS_PER_CUSTOMER = 2;

let database: Database;
let uri: string;
let server: SyncServerHandle;
const rooms: Array<{ user: TestUser; orderId: string }> = [];

beforeAll(async () => {
	const opened = await openTestDatabase('sync_storm');
	database = opened.database;
	uri = opened.uri;
	server = await startTestSyncServer(uri);
	const sync = serviceClient(server);
	for (let i = 0; i < CUSTOMERS; i++) {
		const user = await createTestUser(database.collections, 'customer');
		for (let j = 0; j < ORDERS_PER_CUSTOMER; j++) {
			const orderId = randomId(8);
			await insertOrderRow(database.collections, orderId, user.userId);
			await sync.initOrder(orderId, sampleMeta(orderId, user.userId));
			rooms.push({ user, orderId });
		}
	}
});

afterAll(async () => {
	await server?.kill();
	await dropTestDatabase(database);
});

/** Opens every client at once and waits until each has synced `ready`. */
async function storm(
	docs: Array<RawSyncClient['doc'] | undefined>,
	ready: (client: RawSyncClient, index: number) => boolean
): Promise<{ clients: RawSyncClient[]; ms: number }> {
	const started = performance.now();
	let synced = 0;
	const clients = await Promise.all(
		docs.map(async (doc, i) => {
			const room = rooms[i % rooms.length]!;
			const client = await RawSyncClient.open(
				`${server.wsUrl}/order/${room.orderId}`,
				headersFor(room.user),
				{
					doc,
					timeoutMs: 45_000
				}
			);
			client.requestSync();
			await client.until(() => ready(client, i), 45_000);
			synced++;
			return client;
		})
	).catch((error: unknown) => {
		// what the server said while it happened (its warnings and errors), to tell a stall apart
		const complaints = server
			.output()
			.split('\n')
			.filter((line) => /"level":(4|5|6)0/.test(line))
			.slice(-15);
		throw new Error(
			`${synced}/${docs.length} synced: ${String(error)}\nserver:\n${complaints.join('\n')}`
		);
	});
	return { clients, ms: performance.now() - started };
}

it(
	`${CLIENTS} clients reconnecting at once after a restart all resync`,
	{ timeout: 120_000 },
	async () => {
		const first = await storm(
			Array.from({ length: CLIENTS }),
			(client) => client.doc.getMap('meta').size > 0
		);
		console.log(`storm: ${CLIENTS} cold connections synced in ${first.ms.toFixed(0)} ms`);
		expect((await readMetrics(server.url)).get('sync_connections')).toBe(CLIENTS);
		const docs = first.clients.map((client) => client.doc);
		first.clients.forEach((client) => client.close());

		// while they are away: a change to every order, then a restart
		const sync = serviceClient(server);
		const admin: Actor = { userId: 'storm0admin', role: 'admin' };
		const cancels = new Map<string, string>();
		for (const { orderId } of rooms) {
			const event = createEvent(admin, 'cancelled', 'closed for the night');
			cancels.set(orderId, event.id);
			await sync.appendServerEvent(orderId, event);
		}
		expect(await server.stop()).toBe(0);
		server = await startTestSyncServer(uri, { SYNC_PORT: String(server.port) });

		// everyone comes back at once, with the state they had
		const again = await storm(docs, (client, i) => {
			const orderId = rooms[i % rooms.length]!.orderId;
			return readOrder(client.doc)?.events.some((e) => e.id === cancels.get(orderId)) ?? false;
		});
		console.log(
			`storm: ${CLIENTS} clients reconnected and resynced in ${again.ms.toFixed(0)} ms after a restart`
		);
		expect(again.clients.every((client) => client.isOpen)).toBe(true);
		expect(again.clients.every((client) => readOrder(client.doc)?.status === 'cancelled')).toBe(
			true
		);
		const metrics = await readMetrics(server.url);
		expect(metrics.get('sync_connections')).toBe(CLIENTS);
		expect(metrics.get('sync_open_documents')).toBeGreaterThanOrEqual(rooms.length);
		expect(metrics.get('sync_rejections_total{reason="server_busy"}') ?? 0).toBe(0);
		expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
		await Promise.all(
			again.clients.map((client) => {
				client.close();
				return withTimeout(client.closed, 10_000, 'closed');
			})
		);
	}
);
