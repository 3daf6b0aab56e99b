// Persistence on the real database: graceful and hard restarts, convergence after a crash,
// compaction, idle unload, failed loads, and a database outage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binary } from 'mongodb';
import * as Y from 'yjs';
import { createEvent, readOrder, writeRating, type EventType } from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import {
	actorOf,
	connectProvider,
	createTestUser,
	eventually,
	type ProviderClient,
	readMetrics,
	readStored,
	countLogEntries,
	serviceClient,
	startTcpProxy,
	startTestSyncServer,
	type SyncServerHandle,
	TEST_ORIGIN,
	type TestUser,
	tryUpgrade,
	uriThroughPort,
	assignedOrder
} from '../support/sync-clients.ts';

let database: Database;
let uri: string;
let customer: TestUser;
let partner: TestUser;
let admin: TestUser;
const running: SyncServerHandle[] = [];

beforeAll(async () => {
	const opened = await openTestDatabase('sync_persist');
	database = opened.database;
	uri = opened.uri;
	[customer, partner, admin] = await Promise.all([
		createTestUser(database.collections, 'customer'),
		createTestUser(database.collections, 'partner'),
		createTestUser(database.collections, 'admin')
	]);
});

afterAll(async () => {
	await Promise.all(running.map((server) => server.kill()));
	await dropTestDatabase(database);
});

async function start(env: Record<string, string> = {}, dbUri = uri): Promise<SyncServerHandle> {
	const server = await startTestSyncServer(dbUri, env);
	running.push(server);
	return server;
}

/** Orders with meta and a claim, written through the service channel of `server`. */
async function claimedOrders(server: SyncServerHandle, count: number): Promise<string[]> {
	const ids: string[] = [];
	for (let i = 0; i < count; i++) {
		ids.push(await assignedOrder(database.collections, server, customer, partner));
	}
	return ids;
}

const openDocuments = async (server: SyncServerHandle) =>
	(await readMetrics(server.url)).get('sync_open_documents') ?? NaN;

const clientUpdates = async (server: SyncServerHandle) =>
	(await readMetrics(server.url)).get('sync_updates_total{origin="client"}') ?? 0;

const eventIds = (doc: Y.Doc) => readOrder(doc)?.events.map((e) => e.id) ?? [];

describe('restarts', () => {
	it('SIGTERM flushes every pending update: a restart keeps every document', async () => {
		// a long flush window, so the updates are only in memory when the signal arrives
		const server = await start({ SYNC_PERSIST_DELAY_MS: '10000' });
		const ids = await claimedOrders(server, 8);
		const clients = ids.map((id) =>
			connectProvider({ wsUrl: server.wsUrl, docName: `order/${id}`, cookie: partner.cookie })
		);
		await Promise.all(clients.map((client) => client.synced()));
		const logBefore = await countLogEntries(database);
		for (const client of clients) {
			for (const type of ['preparing', 'out_for_delivery'] as EventType[]) {
				client.doc.getArray('events').push([createEvent(actorOf(partner), type)]);
			}
		}
		// the server has accepted every update, and none is durable yet
		await eventually(
			async () => (await clientUpdates(server)) === clients.length * 2,
			10_000,
			'updates accepted'
		);
		expect(await countLogEntries(database)).toBe(logBefore);
		expect(await server.stop()).toBe(0);
		clients.forEach((client) => client.provider.disconnect());

		for (const [i, id] of ids.entries()) {
			const stored = readOrder((await readStored(database, `order/${id}`)).doc)!;
			expect(stored.events.map((e) => e.id)).toEqual(eventIds(clients[i]!.doc));
			expect(stored.status).toBe('out_for_delivery');
		}
		// and a restarted server serves them
		const again = await start();
		const fresh = connectProvider({
			wsUrl: again.wsUrl,
			docName: `order/${ids[0]}`,
			cookie: admin.cookie
		});
		await fresh.synced();
		expect(eventIds(fresh.doc)).toEqual(eventIds(clients[0]!.doc));
		fresh.destroy();
		clients.forEach((client) => client.destroy());
		await again.stop();
	});

	it('SIGKILL right after a burst: clients reconnect and the server converges to their state', async () => {
		const server = await start({ SYNC_PERSIST_DELAY_MS: '10000' });
		const ids = await claimedOrders(server, 6);
		const writers: ProviderClient[] = [];
		for (const id of ids) {
			for (const user of [partner, admin]) {
				writers.push(
					connectProvider({ wsUrl: server.wsUrl, docName: `order/${id}`, cookie: user.cookie })
				);
			}
		}
		await Promise.all(writers.map((client) => client.synced()));
		const logBefore = await countLogEntries(database);
		// the burst: every order's partner moves it to delivered at once; the admin beside it holds
		// those updates too (relayed on accept) and would offer them back after the crash
		for (const [i, client] of writers.entries()) {
			if (i % 2 !== 0) continue;
			for (const type of ['preparing', 'out_for_delivery', 'delivered'] as EventType[]) {
				client.doc.getArray('events').push([createEvent(actorOf(partner), type, `${i}`)]);
			}
		}
		// killed once the server holds the whole burst, none of it durable yet
		await eventually(
			async () => (await clientUpdates(server)) === ids.length * 3,
			10_000,
			'burst accepted'
		);
		await server.kill();
		expect(await countLogEntries(database)).toBe(logBefore);
		const expected = new Map<string, Set<string>>();
		for (const [i, id] of ids.entries()) {
			const all = new Set<string>();
			for (const client of [writers[2 * i]!, writers[2 * i + 1]!])
				eventIds(client.doc).forEach((e) => all.add(e));
			expected.set(id, all);
			expect(all.size).toBe(1 + 3);
		}

		// same port: the stock clients reconnect by themselves
		const restarted = await start({
			SYNC_PORT: String(server.port),
			SYNC_PERSIST_DELAY_MS: '10',
			// its journal replay and every refusal are in its output if this test fails
			LOG_LEVEL: 'info'
		});
		for (const id of ids) {
			await eventually(
				async () => {
					const stored = eventIds((await readStored(database, `order/${id}`)).doc);
					const want = expected.get(id)!;
					if (stored.length === want.size && stored.every((e) => want.has(e))) return true;
					// (the last mismatch is in the timeout's message)
					throw new Error(`stored [${stored.join(' ')}], expected [${[...want].join(' ')}]`);
				},
				20_000,
				`order ${id} converged in the database`
			).catch((error: unknown) => {
				// what the restarted server said explains a failure on a busy CI machine
				throw new Error(
					`${String(error)}\n--- restarted server ---\n${restarted.output().slice(-4000)}\n` +
						`--- killed server ---\n${server.output().slice(-2000)}`
				);
			});
		}
		// every replica converges to the same document as the server
		await eventually(
			() =>
				writers.every(
					(client, i) => eventIds(client.doc).length === expected.get(ids[Math.floor(i / 2)]!)!.size
				),
			10_000,
			'replicas converged'
		);
		for (const [i, client] of writers.entries()) {
			const stored = (await readStored(database, `order/${ids[Math.floor(i / 2)]}`)).doc;
			expect(readOrder(client.doc)!.status).toBe(readOrder(stored)!.status);
			expect(eventIds(client.doc)).toEqual(eventIds(stored));
		}
		// nobody was refused on the way: no replica held another writer's update the crash lost
		expect(
			writers.flatMap((client) => client.closes).filter((close) => close.code === 4403)
		).toEqual([]);
		writers.forEach((client) => client.destroy());
		await restarted.stop();
	});
});

describe('compaction and unload', () => {
	it('compaction keeps the state byte-identical and the storage smaller', async () => {
		const server = await start({ SYNC_PERSIST_DELAY_MS: '1', SYNC_COMPACT_THRESHOLD: '100000' });
		const orderId = (await claimedOrders(server, 1))[0]!;
		const docName = `order/${orderId}`;
		const client = connectProvider({ wsUrl: server.wsUrl, docName, cookie: partner.cookie });
		await client.synced();
		// the whole delivery, one stored write per step (admission allows no more)
		const steps = ['preparing', 'out_for_delivery', 'delivered'] as EventType[];
		for (const type of steps) {
			const before = (await readStored(database, docName)).logEntries;
			client.doc.getArray('events').push([createEvent(actorOf(partner), type, `step ${type}`)]);
			await eventually(
				async () => (await readStored(database, docName)).logEntries > before,
				5_000,
				'write stored'
			);
		}
		client.destroy();
		await server.stop();
		const before = await readStored(database, docName);
		expect(before.snapshot).toBeNull();
		expect(before.logEntries).toBeGreaterThanOrEqual(steps.length + 2);

		// a server with a low threshold compacts the log in the background when the document loads
		const compacting = await start({ SYNC_COMPACT_THRESHOLD: '2' });
		const reader = connectProvider({ wsUrl: compacting.wsUrl, docName, cookie: customer.cookie });
		await reader.synced();
		await eventually(
			async () => (await readStored(database, docName)).logEntries === 0,
			10_000,
			'log compacted'
		);
		const after = await readStored(database, docName);
		expect(after.snapshot?.mergedSeq).toBe(before.log.at(-1)!.seq);
		expect(Y.encodeStateAsUpdate(after.doc)).toEqual(Y.encodeStateAsUpdate(before.doc));
		expect(Y.encodeStateVector(after.doc)).toEqual(Y.encodeStateVector(before.doc));
		expect(after.storedBytes).toBeLessThan(before.storedBytes);
		console.log(
			`compaction: ${before.logEntries} log entries, ${before.storedBytes} B → snapshot of ${after.storedBytes} B`
		);

		// writes after the compaction go to the log after the snapshot and load back with it
		writeRating(reader.doc, { stars: 5, comment: 'on time' });
		await eventually(
			async () => (await readStored(database, docName)).logEntries === 1,
			5_000,
			'new write stored'
		);
		const latest = await readStored(database, docName);
		expect(latest.log[0]!.seq).toBeGreaterThan(after.snapshot!.mergedSeq);
		expect(readOrder(latest.doc)!.rating).toEqual({ stars: 5, comment: 'on time' });
		expect(eventIds(latest.doc)).toEqual(eventIds(reader.doc));
		reader.destroy();
		await compacting.stop();
	});

	it('an idle document is unloaded (and compacted), then loads again on demand', async () => {
		const server = await start({ SYNC_IDLE_UNLOAD_MS: '200' });
		const orderId = (await claimedOrders(server, 1))[0]!;
		const docName = `order/${orderId}`;
		// other documents (the feeds) come and go: count relative to them
		const baseline = await openDocuments(server);
		const client = connectProvider({ wsUrl: server.wsUrl, docName, cookie: partner.cookie });
		await client.synced();
		client.doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]);
		await eventually(
			async () => (await readStored(database, docName)).logEntries > 0,
			5_000,
			'stored'
		);
		client.destroy();
		// unloading flushes and compacts: the document's log is merged into its snapshot
		await eventually(
			async () => (await readStored(database, docName)).logEntries === 0,
			5_000,
			'unloaded'
		);
		await eventually(async () => (await openDocuments(server)) <= baseline, 5_000, 'released');
		// from the server's copy in memory (the storage is handed every document the server loads)
		const metrics = await readMetrics(server.url);
		expect(metrics.get('sync_compactions_from_memory_total')).toBeGreaterThanOrEqual(1);
		const stored = await readStored(database, docName);
		expect(stored.snapshot).not.toBeNull();
		expect(readOrder(stored.doc)!.status).toBe('preparing');
		const again = connectProvider({ wsUrl: server.wsUrl, docName, cookie: customer.cookie });
		await again.synced();
		expect(readOrder(again.doc)!.status).toBe('preparing');
		again.destroy();
		await server.stop();
	});

	it('a document that fails to load is not served, never stored over, and loads once repaired', async () => {
		const server = await start();
		const orderId = (await claimedOrders(server, 1))[0]!;
		const docName = `order/${orderId}`;
		await server.stop();
		const c = database.collections;
		const good = await readStored(database, docName);
		// a damaged snapshot
		await c.docSnapshots.insertOne({
			_id: docName,
			update: new Binary(new Uint8Array([0xff, 0xff, 0xff])),
			stateVector: new Binary(new Uint8Array([0])),
			mergedSeq: 0,
			updatedAt: new Date()
		});
		const damaged = await start();
		const baseline = await openDocuments(damaged);
		const headers = { cookie: partner.cookie, origin: TEST_ORIGIN };
		for (let i = 0; i < 3; i++) {
			const outcome = await tryUpgrade(`${damaged.wsUrl}/${docName}`, headers);
			expect(outcome.status).toBe(503);
			expect(JSON.parse(outcome.body)).toMatchObject({ error: { code: 'document_unavailable' } });
		}
		// the service channel cannot write into it either
		const sync = serviceClient(damaged);
		await expect(
			sync.appendServerEvent(orderId, createEvent(actorOf(admin), 'cancelled'))
		).rejects.toMatchObject({ status: 503 });
		const metrics = await readMetrics(damaged.url);
		expect(metrics.get('sync_load_failures_total')).toBeGreaterThanOrEqual(4);
		expect(metrics.get('sync_open_documents')).toBe(baseline);
		const untouched = await readStored(database, docName).catch(() => null);
		expect(untouched).toBeNull(); // the damaged snapshot is still there, unchanged: it cannot be read
		expect(await countLogEntries(database, docName)).toBe(good.logEntries);
		expect(Array.from((await c.docSnapshots.findOne({ _id: docName }))!.update.value())).toEqual([
			0xff, 0xff, 0xff
		]);

		// repaired: served again, with nothing lost
		await c.docSnapshots.deleteOne({ _id: docName });
		const client = connectProvider({ wsUrl: damaged.wsUrl, docName, cookie: partner.cookie });
		await client.synced();
		expect(readOrder(client.doc)!.status).toBe('accepted');
		client.destroy();
		await damaged.stop();
	});
});

describe('a database outage', () => {
	it('/healthz turns 503; accepted updates are retried until durable; idle documents are still released', async () => {
		const target = new URL(uri);
		const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
		const server = await start(
			{
				SYNC_IDLE_UNLOAD_MS: '300',
				SYNC_MAX_FLUSH_ATTEMPTS: '2',
				SYNC_PERSIST_DELAY_MS: '10',
				SYNC_DB_TIMEOUT_MS: '1000'
			},
			uriThroughPort(uri, proxy.port)
		);
		const [kept, dropped] = await claimedOrders(server, 2);
		const keptClient = connectProvider({
			wsUrl: server.wsUrl,
			docName: `order/${kept}`,
			cookie: partner.cookie
		});
		const droppedClient = connectProvider({
			wsUrl: server.wsUrl,
			docName: `order/${dropped}`,
			cookie: partner.cookie
		});
		await Promise.all([keptClient.synced(), droppedClient.synced()]);
		expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

		proxy.cut();
		expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
		keptClient.doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]);
		droppedClient.doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]);
		await eventually(
			async () => ((await readMetrics(server.url)).get('sync_store_failures_total') ?? 0) > 0,
			15_000,
			'store failures'
		);
		// a document whose store keeps failing is released anyway after its attempts
		droppedClient.destroy();
		const givenUp = new RegExp(`could not store \\d+ update\\(s\\) of order/${dropped}`);
		await eventually(() => givenUp.test(server.output()), 30_000, 'given up');
		expect((await readMetrics(server.url)).get('sync_store_dropped_updates_total')).toBeGreaterThan(
			0
		);
		expect(server.child.exitCode).toBeNull();

		proxy.restore();
		await eventually(
			async () => (await fetch(`${server.url}/healthz`)).status === 200,
			20_000,
			'healthy again'
		);
		await eventually(
			async () =>
				readOrder((await readStored(database, `order/${kept}`)).doc)?.status === 'preparing',
			20_000,
			'retried write durable'
		);
		keptClient.destroy();
		await server.stop();
		await proxy.close();
	});
});
