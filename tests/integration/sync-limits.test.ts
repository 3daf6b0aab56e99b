// Limits and robustness on real sockets: message size (1009), rate (1008), document size (4413),
// malformed frames (only the sender is closed), awareness spoofing, dead peers, and the
// operability endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { appendEvent, createEvent, readOrder, writeMeta } from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import {
	actorOf,
	connectProvider,
	createTestUser,
	eventually,
	frames,
	headersFor,
	insertOrderRow,
	type ProviderClient,
	RawSyncClient,
	readMetrics,
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
let uri: string;
let server: SyncServerHandle;
let customer: TestUser;
let admin: TestUser;
let orderId: string;
let docName: string;
let observer: ProviderClient;

beforeAll(async () => {
	const opened = await openTestDatabase('sync_limits');
	database = opened.database;
	uri = opened.uri;
	[customer, admin] = await Promise.all([
		createTestUser(database.collections, 'customer'),
		createTestUser(database.collections, 'admin')
	]);
	server = await startTestSyncServer(opened.uri, {
		SYNC_MAX_DOCUMENT_BYTES: '20000',
		SYNC_PING_INTERVAL_MS: '300'
	});
	orderId = randomId(8);
	docName = `order/${orderId}`;
	await insertOrderRow(database.collections, orderId, customer.userId);
	await serviceClient(server).initOrder(orderId, sampleMeta(orderId, customer.userId));
	// an honest client in the same room throughout: nothing below may disturb it
	observer = connectProvider({ wsUrl: server.wsUrl, docName, cookie: customer.cookie });
	await observer.synced();
});

afterAll(async () => {
	observer?.destroy();
	await server?.stop();
	await dropTestDatabase(database);
});

const open = (user: TestUser = admin) =>
	RawSyncClient.open(`${server.wsUrl}/${docName}`, headersFor(user));
const closeOf = (client: RawSyncClient) => withTimeout(client.closed, 10_000, 'server close');

describe('limits', () => {
	it('closes a socket that sends a frame over the size limit with 1009', async () => {
		const client = await open();
		client.send(new Uint8Array(1024 * 1024 + 1));
		expect((await closeOf(client)).code).toBe(1009);
	});

	it('closes a socket over the message rate with 1008 "rate limit"', async () => {
		const client = await open();
		for (let i = 0; i < 150; i++) client.send(frames.queryAwareness());
		expect(await closeOf(client)).toEqual({ code: 1008, reason: 'rate limit' });
	});

	it('refuses an update that would grow the document past its size limit (4413, final)', async () => {
		// Admission bounds what anyone can add to an order to a few events, far below the default
		// limit; a server whose limit leaves room for less than one long note shows the backstop.
		const meta = new Y.Doc();
		writeMeta(meta, sampleMeta(orderId, customer.userId));
		const tight = await startTestSyncServer(uri, {
			SYNC_MAX_DOCUMENT_BYTES: String(Y.encodeStateAsUpdate(meta).length + 300)
		});
		try {
			const bigOrder = randomId(8);
			await insertOrderRow(database.collections, bigOrder, customer.userId);
			await serviceClient(tight).initOrder(bigOrder, sampleMeta(bigOrder, customer.userId));
			const client = await RawSyncClient.open(
				`${tight.wsUrl}/order/${bigOrder}`,
				headersFor(admin)
			);
			client.requestSync();
			await client.until((doc) => doc.getMap('meta').size > 0);
			client.doc.on('update', (update: Uint8Array) => client.send(frames.update(update)));
			appendEvent(client.doc, createEvent(actorOf(admin), 'cancelled', 'x'.repeat(500)));
			expect(await withTimeout(client.closed, 10_000, 'server close')).toEqual({
				code: 4413,
				reason: 'document too large'
			});
			const stored = readOrder((await readStored(database, `order/${bigOrder}`)).doc)!;
			expect(stored.events).toEqual([]);
			expect(
				(await readMetrics(tight.url)).get('sync_rejections_total{reason="document_too_large"}')
			).toBe(1);
		} finally {
			await tight.stop();
		}
	});

	it('closes only the sender of a malformed frame, with a code that says why', async () => {
		const cases: Array<[string, (ws: WebSocket) => void, number]> = [
			['a text frame', (ws) => ws.send('hello'), 1003],
			['an empty frame', (ws) => ws.send(new Uint8Array(0)), 1002],
			['an unterminated number', (ws) => ws.send(new Uint8Array([0x80])), 1002],
			['an unknown message type', (ws) => ws.send(new Uint8Array([9])), 1003],
			['an auth message', (ws) => ws.send(new Uint8Array([2, 0])), 1003],
			['an unknown sync step', (ws) => ws.send(new Uint8Array([0, 7, 0])), 1003],
			['a truncated payload', (ws) => ws.send(new Uint8Array([0, 2, 10, 1])), 1002],
			['trailing bytes', (ws) => ws.send(new Uint8Array([3, 3])), 1002],
			['a garbage update', (ws) => ws.send(new Uint8Array([0, 2, 3, 0xff, 0xff, 0xff])), 1002],
			['a garbage state vector', (ws) => ws.send(new Uint8Array([0, 0, 2, 5, 0x80])), 1002],
			[
				'awareness that is not JSON',
				(ws) => ws.send(new Uint8Array([1, 5, 1, 1, 1, 2, 0x7b, 0x7b])),
				1002
			]
		];
		for (const [name, send, code] of cases) {
			const client = await open();
			send(client.socket);
			expect([name, (await closeOf(client)).code]).toEqual([name, code]);
		}
		expect(observer.closes).toEqual([]);
		expect(observer.provider.wsconnected).toBe(true);
	});

	it('drops awareness a socket sends for someone else’s client id', async () => {
		const watcher = connectProvider({ wsUrl: server.wsUrl, docName, cookie: admin.cookie });
		await watcher.synced();
		observer.provider.awareness.setLocalStateField('typing', 'real');
		await eventually(
			() =>
				(watcher.provider.awareness.getStates().get(observer.doc.clientID) as { typing?: string })
					?.typing === 'real',
			5_000,
			'observer presence'
		);
		const spoofer = await open();
		// the observer's client id with a clock far ahead, so it would win if it were applied
		const spoof = encoding.createEncoder();
		encoding.writeVarUint(spoof, 1);
		encoding.writeVarUint(spoof, observer.doc.clientID);
		encoding.writeVarUint(spoof, 100_000);
		encoding.writeVarString(spoof, JSON.stringify({ typing: 'forged' }));
		spoofer.send(frames.awareness(encoding.toUint8Array(spoof)));
		// a query-awareness round trip: its answer comes after the spoof was handled
		spoofer.send(frames.queryAwareness());
		await new Promise((resolve) => setTimeout(resolve, 300));
		const seen = watcher.provider.awareness.getStates().get(observer.doc.clientID) as {
			typing?: string;
			user?: { id: string };
		};
		expect(seen.typing).toBe('real');
		expect(seen.user?.id).toBe(customer.userId);
		spoofer.close();
		watcher.destroy();
	});

	it('bounds presence in bytes: a state over 2 KiB, or more than 32 KiB at once, closes the sender', async () => {
		const watcher = connectProvider({ wsUrl: server.wsUrl, docName, cookie: admin.cookie });
		await watcher.synced();
		const presence = (clientId: number, clock: number, state: object) => {
			const update = encoding.createEncoder();
			encoding.writeVarUint(update, 1);
			encoding.writeVarUint(update, clientId);
			encoding.writeVarUint(update, clock);
			encoding.writeVarString(update, JSON.stringify(state));
			return frames.awareness(encoding.toUint8Array(update));
		};
		const seen = (clientId: number) => watcher.provider.awareness.getStates().get(clientId);

		// one state just over the limit
		const large = await open(customer);
		large.send(presence(7001, 1, { pad: 'x'.repeat(2100) }));
		expect(await closeOf(large)).toEqual({ code: 1008, reason: 'presence state too large' });

		// states under the limit, but too many bytes of them too fast (a flood of a partner's phone)
		let relayed = 0;
		watcher.provider.awareness.on('update', ({ added, updated }: Record<string, number[]>) => {
			if ([...added!, ...updated!].includes(7002)) relayed++;
		});
		const flood = await open(customer);
		const state = { pad: 'x'.repeat(1500) };
		const closed = closeOf(flood);
		for (let clock = 1; clock <= 60 && flood.isOpen; clock++)
			flood.send(presence(7002, clock, state));
		expect(await closed).toEqual({
			code: 1008,
			reason: 'presence updates too large or too frequent'
		});
		// what was relayed before it was closed fits the burst: 21 states of 1.5 KiB in 32 KiB
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(relayed).toBeGreaterThan(0);
		expect(relayed).toBeLessThanOrEqual(22);
		expect(seen(7001)).toBeUndefined();
		// an honest presence right after: still relayed
		observer.provider.awareness.setLocalStateField('here', true);
		await eventually(
			() => (seen(observer.doc.clientID) as { here?: boolean } | undefined)?.here === true,
			5_000,
			'honest presence'
		);
		expect(observer.closes).toEqual([]);
		watcher.destroy();
	});

	it('disconnects a client that cannot keep up with what it is sent', async () => {
		// (presence is how this fills the slow socket's queue: its limits raised for that)
		const slowServer = await startTestSyncServer(uri, {
			SYNC_MAX_BUFFERED_BYTES: '65536',
			SYNC_MAX_PRESENCE_BYTES: '1000000',
			SYNC_PRESENCE_BYTES_PER_SECOND: '100000000'
		});
		try {
			const headers = headersFor(customer);
			const url = `${slowServer.wsUrl}/${docName}`;
			const slow = await RawSyncClient.open(url, headers);
			const socket = (slow.socket as unknown as { _socket: import('node:net').Socket })._socket;
			socket.pause(); // stops reading: the kernel buffers fill, then the server's queue grows
			const talker = await RawSyncClient.open(url, headersFor(admin));
			const big = 'x'.repeat(400_000);
			for (let i = 0; i < 40 && talker.isOpen; i++) {
				const update = encoding.createEncoder();
				encoding.writeVarUint(update, 1);
				encoding.writeVarUint(update, 4242);
				encoding.writeVarUint(update, i + 1);
				encoding.writeVarString(update, JSON.stringify({ big }));
				talker.send(frames.awareness(encoding.toUint8Array(update)));
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
			await eventually(
				async () =>
					((await readMetrics(slowServer.url)).get(
						'sync_rejections_total{reason="slow_consumer"}'
					) ?? 0) > 0,
				10_000,
				'slow consumer closed'
			);
			expect(talker.isOpen).toBe(true);
			slow.close();
			talker.close();
		} finally {
			await slowServer.stop();
		}
	});

	it('cuts off a peer that stops answering pings', async () => {
		const client = await open();
		const socket = (client.socket as unknown as { _socket: import('node:net').Socket })._socket;
		socket.pause(); // reads nothing, so it never answers a ping
		const before =
			(await readMetrics(server.url)).get('sync_rejections_total{reason="keepalive_timeout"}') ?? 0;
		await eventually(
			async () =>
				((await readMetrics(server.url)).get('sync_rejections_total{reason="keepalive_timeout"}') ??
					0) > before,
			5_000,
			'keep-alive timeout'
		);
		client.close();
	});
});

describe('operability', () => {
	it('/healthz answers 200 while the database answers', async () => {
		const res = await fetch(`${server.url}/healthz`);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ status: 'ok' });
	});

	it('/metrics has connections, documents, updates, persist latency and rejections by reason', async () => {
		observer.doc.getArray('events').push([createEvent(actorOf(customer), 'cancelled')]);
		await eventually(
			async () => readOrder((await readStored(database, docName)).doc)?.status === 'cancelled',
			5_000,
			'stored'
		);
		const res = await fetch(`${server.url}/metrics`);
		expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
		const metrics = await readMetrics(server.url);
		expect(metrics.get('sync_connections')).toBeGreaterThanOrEqual(1);
		expect(metrics.get('sync_open_documents')).toBeGreaterThanOrEqual(1);
		expect(metrics.get('sync_updates_total{origin="client"}')).toBeGreaterThanOrEqual(1);
		expect(metrics.get('sync_updates_total{origin="server"}')).toBeGreaterThanOrEqual(1);
		expect(metrics.get('sync_persist_latency_seconds_count')).toBeGreaterThanOrEqual(2);
		expect(metrics.get('sync_persist_latency_seconds_bucket{le="+Inf"}')).toBe(
			metrics.get('sync_persist_latency_seconds_count')
		);
		for (const reason of [
			'message_too_large',
			'rate_limit',
			'malformed_message',
			'unsupported_message'
		]) {
			expect([reason, metrics.get(`sync_rejections_total{reason="${reason}"}`) ?? 0]).toEqual([
				reason,
				expect.any(Number)
			]);
			expect(metrics.get(`sync_rejections_total{reason="${reason}"}`)).toBeGreaterThan(0);
		}
		expect(metrics.has('sync_load_failures_total')).toBe(true);
		expect(metrics.has('process_resident_memory_bytes')).toBe(true);
		// logs carry no cookies or secrets
		expect(server.output()).not.toContain(customer.cookie.split('=')[1]!);
		expect(server.output()).not.toContain(TEST_SECRET);
	});
});
