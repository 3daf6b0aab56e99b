// Debian's nginx in front of two real sync-servers sharing documents through a real Redis
// (REDIS_URL) and the built web app, started by deploy/nginx/start.sh from
// deploy/nginx/dispatch.conf.template as in the compose stack, on 127.0.0.1 ports: a document
// name always lands on the same sync-server and names spread over both; an order placed through
// nginx syncs over a WebSocket through nginx, and the web app's service writes (through nginx's
// internal listener) reach the process holding the order's sockets; the service channel and the
// sync-server's own routes are 404 on the public listener; when the process an order hashes to
// is killed, its client reconnects through nginx to the other one, new connections land there and
// the web app's writes follow. Which process answered is its `x-sync-process` header.
import { spawnSync } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { orderDocName, readOrder } from '../../src/lib/order/index.ts';
import { seedCatalog } from '../../src/lib/server/catalog.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import { PROCESS_HEADER } from '../../sync-server/core/server.ts';
import { openTestDatabase } from '../support/database.ts';
import { nginxMissing, startNginx, type RunningNginx } from '../support/nginx.ts';
import { freePort } from '../support/ports.ts';
import { startWebApp, type RunningProcess } from '../support/processes.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import {
	connectProvider,
	createTestUser,
	eventually,
	startTestSyncServer,
	TEST_SECRET,
	withTimeout,
	type ProviderClient,
	type SyncServerHandle,
	type TestUser
} from '../support/sync-clients.ts';
import { Client } from './auth-support.ts';
import { orderBody, until } from './orders-support.ts';

const missing =
	nginxMissing() ??
	(spawnSync('sh', ['-c', 'command -v redis-server']).status === 0
		? null
		: 'redis-server is missing: install it (bash scripts/setup.sh --system, which scripts/test.sh runs)');
// outside CI a machine without them skips these, loudly; CI installs them and must run them
const skip = missing !== null && !process.env.CI;
if (skip) console.warn(`\n*** nginx tests SKIPPED: ${missing} ***\n`);

interface Answer {
	status: number;
	/** The sync-server process that answered (`x-sync-process`), if one did. */
	process: string | undefined;
}

/** A WebSocket upgrade through `url`: its status and which process answered; closed at once. */
function upgrade(url: string, headers: Record<string, string>): Promise<Answer> {
	return withTimeout(
		new Promise<Answer>((resolve, reject) => {
			const ws = new WebSocket(url, { headers });
			const answer = (response: IncomingMessage) => {
				const process = response.headers[PROCESS_HEADER];
				resolve({ status: response.statusCode ?? 0, process: process as string | undefined });
				ws.terminate();
			};
			ws.on('upgrade', answer);
			ws.on('unexpected-response', (_request, response) => answer(response));
			ws.on('error', (error) => {
				if (!error.message.startsWith('Unexpected server response')) reject(error);
			});
		}),
		10_000,
		`upgrade ${url}`
	);
}

describe.skipIf(skip)('nginx in front of two sync-servers and the web app', () => {
	let database: Database;
	let redis: TestRedis;
	let nginx: RunningNginx;
	let web: RunningProcess;
	const syncs: SyncServerHandle[] = [];
	/** Each sync-server's process id, in the order of `syncs`. */
	const ids: string[] = [];
	let customer: TestUser & { api: Client };
	let admin: TestUser;
	const providers: ProviderClient[] = [];
	const ports = { web: 0, deadWeb: 0, sync: [0, 0] };

	const syncUrl = () => `${nginx.publicUrl.replace(/^http/, 'ws')}/sync`;
	const as = (user: TestUser) => ({ cookie: user.cookie, origin: nginx.publicUrl });
	const service = { authorization: `Bearer ${TEST_SECRET}` };

	beforeAll(async () => {
		if (missing) throw new Error(`${missing}; CI must run the nginx tests`);
		const opened = await openTestDatabase('nginx');
		database = opened.database;
		await seedCatalog(database.collections);
		const taken = new Set<number>();
		while (taken.size < 4) taken.add(await freePort());
		const [webPort, deadWebPort, syncA, syncB] = [...taken] as [number, number, number, number];
		Object.assign(ports, { web: webPort, deadWeb: deadWebPort, sync: [syncA, syncB] });

		// nginx first (the servers' origin is its public URL); a second web upstream that nothing
		// listens on shows passive failover for the web app
		nginx = await startNginx({
			web: [`127.0.0.1:${ports.web}`, `127.0.0.1:${ports.deadWeb}`],
			sync: ports.sync.map((port) => `127.0.0.1:${port}`)
		});
		redis = await startTestRedis();
		for (const [i, port] of ports.sync.entries()) {
			const sync = await startTestSyncServer(opened.uri, {
				SYNC_PORT: String(port),
				ALLOWED_ORIGINS: nginx.publicUrl,
				REDIS_URL: redis.url,
				SYNC_PROCESS_ID: `nginx-test-${i}`
			});
			syncs.push(sync);
			const health = await fetch(`${sync.url}/healthz`);
			ids.push(health.headers.get(PROCESS_HEADER)!);
		}
		web = await startWebApp({
			MONGODB_URI: opened.uri,
			PORT: String(ports.web),
			ORIGIN: nginx.publicUrl,
			SYNC_SECRET: TEST_SECRET,
			SYNC_URL: syncUrl(),
			SYNC_INTERNAL_URL: nginx.internalUrl
		});
		const user = await createTestUser(database.collections, 'customer', 'Nia Nginx');
		const api = new Client(nginx.publicUrl);
		api.setSessionToken(user.cookie.slice(user.cookie.indexOf('=') + 1));
		customer = { ...user, api };
		admin = await createTestUser(database.collections, 'admin', 'Ada Admin');
	});

	afterAll(async () => {
		for (const provider of providers) provider.destroy();
		await Promise.allSettled([web?.stop(), ...syncs.map((sync) => sync.stop())]);
		await nginx?.stop();
		await redis?.destroy();
		await database?.db.dropDatabase().catch(() => undefined);
		await database?.close();
	});

	it('renders one upstream server per process, and answers for the web app past one that is down', async () => {
		expect(ids).toEqual(['nginx-test-0', 'nginx-test-1']);
		for (const port of [ports.web, ports.deadWeb, ...ports.sync]) {
			expect(nginx.config).toContain(`server 127.0.0.1:${port} `);
		}
		for (let i = 0; i < 6; i++) {
			const health = await fetch(`${nginx.publicUrl}/api/health`);
			expect(health.status).toBe(200);
			expect(await health.json()).toMatchObject({ ok: true, database: 'up' });
		}
		const config = await customer.api.get('/api/config');
		expect(config.status).toBe(200);
		expect(config.json.syncUrl).toBe(syncUrl());
	});

	/** Document names an admin may open, and the process each landed on. */
	const landed = new Map<string, string>();

	it('routes each document name to one process, and spreads names over both', async () => {
		for (let i = 0; i < 24; i++) {
			const name = `feed/customer/${randomId(8)}`;
			const first = await upgrade(`${syncUrl()}/${name}`, as(admin));
			const again = await upgrade(`${syncUrl()}/${name}`, as(admin));
			expect(first.status).toBe(101);
			expect(again).toEqual(first);
			landed.set(name, first.process!);
		}
		const counts = ids.map((id) => [...landed.values()].filter((p) => p === id).length);
		expect(counts.reduce((a, b) => a + b)).toBe(24); // every answer came from one of the two
		expect(Math.min(...counts), `names per process: ${counts.join(' / ')}`).toBeGreaterThan(0);
	});

	let orderId: string;

	it('syncs an order over a WebSocket through nginx; service writes reach the process holding it', async () => {
		const placed = await customer.api.post('/api/orders', orderBody());
		expect(placed.status, placed.text).toBe(201);
		orderId = placed.json.id;
		const client = connectProvider({
			wsUrl: syncUrl(),
			docName: orderDocName(orderId),
			...as(customer)
		});
		providers.push(client);
		await client.synced();
		expect(readOrder(client.doc)).toMatchObject({ status: 'pending' });
		expect(readOrder(client.doc)!.meta.orderId).toBe(orderId);

		// the service channel hashes /internal/orders/<id>/... as order/<id>: the same process
		const socket = await upgrade(`${syncUrl()}/${orderDocName(orderId)}`, as(customer));
		expect(socket.status).toBe(101);
		const state = await fetch(`${nginx.internalUrl}/internal/orders/${orderId}/state`, {
			headers: service
		});
		expect(state.status).toBe(200);
		expect(state.headers.get(PROCESS_HEADER)).toBe(socket.process);

		// and so for any order id: the service channel's reads and writes go where order/<id>'s
		// sockets go (refusals name their process too: no such order, a body that is not an op)
		for (let i = 0; i < 12; i++) {
			const other = randomId(8);
			const sockets = await upgrade(`${syncUrl()}/${orderDocName(other)}`, as(customer));
			expect(sockets.status).toBe(403);
			const read = await fetch(`${nginx.internalUrl}/internal/orders/${other}/state`, {
				headers: service
			});
			const write = await fetch(`${nginx.internalUrl}/internal/orders/${other}/ops`, {
				method: 'POST',
				headers: { ...service, 'content-type': 'application/json' },
				body: '{}'
			});
			expect([read.status, write.status]).toEqual([404, 400]);
			expect(read.headers.get(PROCESS_HEADER)).toBe(sockets.process);
			expect(write.headers.get(PROCESS_HEADER)).toBe(sockets.process);
		}

		// a server-authored write (the customer cancels through the API) reaches the socket
		const cancelled = await customer.api.post(`/api/orders/${orderId}/cancel`);
		expect(cancelled.status, cancelled.text).toBe(200);
		await until(client.doc, () => readOrder(client.doc)?.status === 'cancelled', 'the cancel');
	});

	it('keeps the service channel and the sync-server routes off the public listener', async () => {
		const publicRequests: Array<[string, string]> = [
			['POST', `/sync/internal/orders/${orderId}/ops`],
			['GET', `/sync/internal/orders/${orderId}/state`],
			['GET', '/sync/internal/feeds/admin'],
			['POST', `/internal/orders/${orderId}/ops`],
			['GET', `/internal/orders/${orderId}/state`],
			['GET', '/internal/feeds/admin'],
			['GET', '/sync/healthz'],
			['GET', '/sync/metrics'],
			['GET', `/sync/${orderDocName(orderId)}`]
		];
		for (const [method, path] of publicRequests) {
			const response = await fetch(nginx.publicUrl + path, {
				method,
				headers: { ...service, 'content-type': 'application/json' },
				body: method === 'POST' ? '{"op":"event"}' : undefined
			});
			expect(response.status, `${method} ${path}`).toBe(404);
			expect(response.headers.get(PROCESS_HEADER), `${method} ${path}`).toBeNull();
		}
		const upgraded = await upgrade(`${syncUrl()}/internal/feeds/admin`, as(admin));
		expect(upgraded).toEqual({ status: 404, process: undefined });

		// on the internal listener the service channel answers, and nothing else does
		const board = await fetch(`${nginx.internalUrl}/internal/feeds/admin`, { headers: service });
		expect(board.status).toBe(200);
		expect(await board.json()).toMatchObject({ entries: expect.any(Array) });
		expect(ids).toContain(board.headers.get(PROCESS_HEADER));
		for (const path of ['/api/health', '/healthz', '/metrics']) {
			expect((await fetch(nginx.internalUrl + path)).status, path).toBe(404);
		}
	});

	it('moves a killed process’s documents to the other: its clients reconnect there, and writes follow', async () => {
		const placed = await customer.api.post('/api/orders', orderBody());
		expect(placed.status, placed.text).toBe(201);
		const id = placed.json.id as string;
		const client = connectProvider({
			wsUrl: syncUrl(),
			docName: orderDocName(id),
			...as(customer)
		});
		providers.push(client);
		await client.synced();
		const holder = (await upgrade(`${syncUrl()}/${orderDocName(id)}`, as(customer))).process!;
		const survivor = ids.find((process) => process !== holder)!;

		await syncs[ids.indexOf(holder)]!.kill();
		const killed = Date.now();
		await withTimeout(
			new Promise<void>((resolve) => {
				if (client.closes.length > 0) resolve();
				else client.provider.once('connection-close', () => resolve());
			}),
			10_000,
			'the client to see its process go'
		);
		// a new connection for the order: nginx passes over the dead process
		expect(await upgrade(`${syncUrl()}/${orderDocName(id)}`, as(customer))).toEqual({
			status: 101,
			process: survivor
		});
		// the client's own reconnect (y-websocket's backoff) goes through nginx to the survivor
		await eventually(
			() => client.provider.wsconnected && client.provider.synced,
			15_000,
			'the client to reconnect and sync'
		);
		const reconnectMs = Date.now() - killed;
		// the web app's service write for the order goes there too, and reaches the client
		const cancelled = await customer.api.post(`/api/orders/${id}/cancel`);
		expect(cancelled.status, cancelled.text).toBe(200);
		await until(client.doc, () => readOrder(client.doc)?.status === 'cancelled', 'the cancel');

		// orders placed now (their service writes hash to either process) are created and sync
		for (let i = 0; i < 3; i++) {
			const next = await customer.api.post('/api/orders', orderBody());
			expect(next.status, next.text).toBe(201);
			const order = connectProvider({
				wsUrl: syncUrl(),
				docName: orderDocName(next.json.id),
				...as(customer)
			});
			providers.push(order);
			await order.synced();
			expect(readOrder(order.doc)).toMatchObject({ status: 'pending' });
		}
		console.log(`nginx failover: the client was synced again ${reconnectMs} ms after the kill`);
	});
});
