// The failover harness: Redis, three sync-servers sharing documents through it, two web
// processes and nginx in front, all on 127.0.0.1, as the compose stack runs them. Partners move
// their orders on through nginx while the harness takes the stack apart: Redis stopped for 10 s
// and started again, the storage writer's process killed (SIGKILL), another stopped (SIGTERM).
// Afterwards every event any client sent is on every surviving replica and in MongoDB, and no
// document's snapshot ever lost what an earlier one held (one lineage, whoever compacted).
// Bounded: every wait has a deadline, everything stops in afterAll.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createEvent, readEvents, type EventType } from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { sharedLogKeys } from '../../sync-server/scale-out/shared-log.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import { nginxMissing, startNginx, type RunningNginx } from '../support/nginx.ts';
import { freePort } from '../support/ports.ts';
import { startWebApp, type RunningProcess } from '../support/processes.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import {
	actorOf,
	assignedOrder,
	connectProvider,
	createTestUser,
	eventually,
	readMetrics,
	readStored,
	startTestSyncServer,
	TEST_SECRET,
	type ProviderClient,
	type SyncServerHandle,
	type TestUser
} from '../support/sync-clients.ts';

const PARTNERS = 6;
const STEPS: EventType[] = ['preparing', 'out_for_delivery', 'delivered'];
/** Each partner writes its next step this often. */
const WRITE_EVERY_MS = 250;

let database: Database;
let uri: string;
let redis: TestRedis;
let nginx: RunningNginx;
let syncs: SyncServerHandle[] = [];
let webs: RunningProcess[] = [];
let customer: TestUser;
let partners: TestUser[] = [];
const report: string[] = [];

/** Snapshots seen per document: each must hold everything the one before it held. */
const snapshotsSeen = new Map<string, Map<number, number>>();
const lineageBreaks: string[] = [];
let watchSnapshots: NodeJS.Timeout | null = null;

beforeAll(async () => {
	const missing = nginxMissing();
	if (missing) throw new Error(missing);
	({ database, uri } = await openTestDatabase('failover'));
	redis = await startTestRedis();
	customer = await createTestUser(database.collections, 'customer', 'Cara');
	partners = await Promise.all(
		Array.from({ length: PARTNERS }, (_, i) =>
			createTestUser(database.collections, 'partner', `Pat ${i}`)
		)
	);
	syncs = await Promise.all(
		[1, 2, 3].map((n) =>
			startTestSyncServer(uri, {
				REDIS_URL: redis.url,
				SYNC_PROCESS_ID: `failover-${n}`,
				// (what the storage writer and the Redis link say, for a failure's report)
				LOG_LEVEL: 'info',
				// compactions happen all through the run, on whichever process writes
				SYNC_COMPACT_THRESHOLD: '3'
			})
		)
	);
	const webPorts = [await freePort(), await freePort()];
	nginx = await startNginx({
		web: webPorts.map((port) => `127.0.0.1:${port}`),
		sync: syncs.map((sync) => `127.0.0.1:${sync.port}`)
	});
	webs = await Promise.all(
		webPorts.map((port) =>
			startWebApp({
				MONGODB_URI: uri,
				PORT: String(port),
				ORIGIN: nginx.publicUrl,
				SYNC_URL: `${nginx.publicUrl.replace('http', 'ws')}/sync`,
				SYNC_INTERNAL_URL: nginx.internalUrl,
				SYNC_SECRET: TEST_SECRET
			})
		)
	);
	watchSnapshots = setInterval(() => void checkLineage(), 100);
}, 120_000);

afterAll(async () => {
	if (watchSnapshots) clearInterval(watchSnapshots);
	console.log(`failover harness:\n  ${report.join('\n  ')}`);
	await Promise.allSettled(webs.map((web) => web.stop()));
	await nginx?.stop();
	await Promise.allSettled(syncs.map((sync) => sync.stop()));
	await redis?.destroy();
	await dropTestDatabase(database);
}, 60_000);

async function checkLineage(): Promise<void> {
	const snapshots = await database.collections.docSnapshots
		.find({}, { projection: { stateVector: 1 } })
		.toArray()
		.catch(() => []);
	for (const snapshot of snapshots) {
		const vector = Y.decodeStateVector(new Uint8Array(snapshot.stateVector.value()));
		const before = snapshotsSeen.get(snapshot._id);
		if (before) {
			for (const [client, clock] of before) {
				if ((vector.get(client) ?? 0) < clock) {
					lineageBreaks.push(
						`${snapshot._id}: client ${client} went from ${clock} to ${vector.get(client) ?? 0}`
					);
				}
			}
		}
		snapshotsSeen.set(snapshot._id, vector);
	}
}

const publicWs = () => `${nginx.publicUrl.replace('http', 'ws')}/sync`;

interface Courier {
	partner: TestUser;
	docName: string;
	client: ProviderClient;
	sent: string[];
	timer: NodeJS.Timeout;
}

/** A partner moving its order on through nginx, one step every WRITE_EVERY_MS, all steps. */
async function startCourier(partner: TestUser): Promise<Courier> {
	const orderId = await assignedOrder(
		database.collections,
		{ url: nginx.internalUrl },
		customer,
		partner
	);
	const docName = `order/${orderId}`;
	const client = connectProvider({ wsUrl: publicWs(), docName, cookie: partner.cookie });
	await client.synced();
	const sent: string[] = [];
	const timer: NodeJS.Timeout = setInterval(() => {
		const step = STEPS[sent.length];
		if (!step) return clearInterval(timer);
		const event = createEvent(actorOf(partner), step);
		sent.push(event.id);
		client.doc.getArray('events').push([event]);
	}, WRITE_EVERY_MS);
	const courier: Courier = { partner, docName, client, sent, timer };
	return courier;
}

/** Runs `scenario` while every partner moves an order on; stops them all afterwards. */
async function withCouriers(scenario: (couriers: Courier[]) => Promise<void>): Promise<void> {
	const couriers = await Promise.all(partners.map((partner) => startCourier(partner)));
	try {
		await scenario(couriers);
	} finally {
		for (const courier of couriers) {
			clearInterval(courier.timer);
			courier.client.destroy();
		}
	}
}

/** Waits until every courier has sent all its steps. */
function allSent(couriers: Courier[], timeoutMs: number): Promise<unknown> {
	return eventually(
		() => couriers.every((c) => c.sent.length === STEPS.length),
		timeoutMs,
		'all sent'
	);
}

async function connectionsOf(sync: SyncServerHandle): Promise<number> {
	return (await readMetrics(sync.url)).get('sync_connections') ?? 0;
}

async function writerAmong(live: SyncServerHandle[]): Promise<SyncServerHandle | null> {
	for (const sync of live) {
		const metrics = await readMetrics(sync.url).catch(() => null);
		if (metrics?.get('sync_storage_writer') === 1) return sync;
	}
	return null;
}

/** What each side has of a courier's events, and what the processes logged (for a failure). */
async function diagnose(
	courier: Courier,
	reader: ProviderClient,
	live: SyncServerHandle[]
): Promise<string> {
	const ids = (events: Array<{ id: string }>) => events.map((e) => e.id.slice(0, 8)).join(' ');
	const stored = await readStored(database, courier.docName).catch(() => null);
	return [
		`sent:    ${courier.sent.map((id) => id.slice(0, 8)).join(' ')}`,
		`courier: ${ids(readEvents(courier.client.doc))}`,
		`reader:  ${ids(readEvents(reader.doc))}`,
		`MongoDB: ${stored ? ids(readEvents(stored.doc)) : '(unreadable)'}`,
		`snapshot: mergedSeq ${stored?.snapshot?.mergedSeq}, rows ${JSON.stringify(
			stored?.log.map((row) => {
				const rowDoc = new Y.Doc();
				Y.applyUpdate(rowDoc, new Uint8Array(row.update.value()));
				return { seq: row.seq, events: ids(readEvents(rowDoc)) };
			})
		)}`,
		await processes(live)
	].join('\n');
}

/** The shared log's state in Redis, each process's writer and backlog metrics, and its output. */
async function processes(live: SyncServerHandle[]): Promise<string> {
	const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
	const lines: string[] = [];
	try {
		// (the processes run with the default prefix)
		const { stream, group } = sharedLogKeys('dispatch:');
		lines.push(`stream length ${await client.xlen(stream)}`);
		lines.push(`groups ${JSON.stringify(await client.xinfo('GROUPS', stream))}`);
		lines.push(`consumers ${JSON.stringify(await client.xinfo('CONSUMERS', stream, group))}`);
	} catch (error) {
		lines.push(`redis: ${String(error)}`);
	} finally {
		client.disconnect();
	}
	for (const sync of live) {
		const metrics = await readMetrics(sync.url).catch(() => null);
		lines.push(
			`--- ${sync.url}: writer ${metrics?.get('sync_storage_writer')}, backlog ${metrics?.get('sync_shared_log_backlog')}`,
			sync
				.output()
				.split('\n')
				.filter((line) => /redis|writer|lease|term|stream|stor|shared log/i.test(line))
				.slice(-40)
				.join('\n')
		);
	}
	return lines.join('\n');
}

/** Every sent event on every live replica (a fresh reader on each) and in MongoDB. */
async function verify(couriers: Courier[], live: SyncServerHandle[], what: string): Promise<void> {
	const sent = couriers.reduce((sum, c) => sum + c.sent.length, 0);
	for (const sync of live) {
		let present = 0;
		for (const courier of couriers) {
			const reader = connectProvider({
				wsUrl: sync.wsUrl,
				docName: courier.docName,
				cookie: customer.cookie
			});
			try {
				await reader.synced();
				await eventually(
					() => courier.sent.every((id) => readEvents(reader.doc).some((e) => e.id === id)),
					20_000,
					`${what}: ${courier.docName} complete on ${sync.url}`
				).catch(async (error: unknown) => {
					throw new Error(`${String(error)}\n${await diagnose(courier, reader, live)}`);
				});
				present += courier.sent.length;
			} finally {
				reader.destroy();
			}
		}
		report.push(`${what}: sent ${sent}, present on replica ${sync.url}: ${present}`);
	}
	let stored = 0;
	await eventually(
		async () => {
			stored = 0;
			for (const courier of couriers) {
				const events = readEvents((await readStored(database, courier.docName)).doc);
				stored += courier.sent.filter((id) => events.some((e) => e.id === id)).length;
			}
			return stored === sent;
		},
		45_000,
		`${what}: every event in MongoDB`
	).catch(async (error: unknown) => {
		throw new Error(`${String(error)} (${stored} of ${sent})\n${await processes(live)}`);
	});
	report.push(`${what}: sent ${sent}, in MongoDB ${stored}`);
}

describe('failover harness', () => {
	it('clients of one order on different processes converge within 1 s', async () => {
		const partner = partners[0]!;
		const orderId = await assignedOrder(
			database.collections,
			{ url: nginx.internalUrl },
			customer,
			partner
		);
		const docName = `order/${orderId}`;
		const writer = connectProvider({ wsUrl: syncs[0]!.wsUrl, docName, cookie: partner.cookie });
		const watchers = syncs
			.slice(1)
			.map((sync) => connectProvider({ wsUrl: sync.wsUrl, docName, cookie: customer.cookie }));
		try {
			await Promise.all([writer.synced(), ...watchers.map((w) => w.synced())]);
			const worst: number[] = [];
			for (const step of STEPS) {
				const started = performance.now();
				writer.doc.getArray('events').push([createEvent(actorOf(partner), step)]);
				const count = readEvents(writer.doc).length;
				await eventually(
					() => watchers.every((w) => readEvents(w.doc).length === count),
					5_000,
					'watchers converge'
				);
				worst.push(performance.now() - started);
			}
			report.push(
				`convergence across processes: ${worst.map((ms) => ms.toFixed(1)).join(', ')} ms`
			);
			expect(Math.max(...worst)).toBeLessThan(1_000);
		} finally {
			writer.destroy();
			watchers.forEach((w) => w.destroy());
		}
	});

	it('Redis stopped for 10 s under writes: no crash, no lost update, convergence after', async () => {
		await withCouriers(async (couriers) => {
			await new Promise((resolve) => setTimeout(resolve, WRITE_EVERY_MS));
			await redis.stop();
			await new Promise((resolve) => setTimeout(resolve, 10_000));
			for (const sync of syncs) expect(sync.child.exitCode).toBeNull();
			await redis.start();
			await allSent(couriers, 10_000);
			await verify(couriers, syncs, 'redis outage');
		});
	}, 120_000);

	it('SIGKILL of the storage writer while partners write: nothing any client sent is lost', async () => {
		await withCouriers(async (couriers) => {
			const writer = await writerAmong(syncs);
			expect(writer).not.toBeNull();
			await new Promise((resolve) => setTimeout(resolve, WRITE_EVERY_MS * 1.5));
			const connected = await connectionsOf(writer!);
			await writer!.kill();
			report.push(`SIGKILL: the storage writer (${writer!.url}) with ${connected} sockets`);
			const live = syncs.filter((sync) => sync !== writer);
			await allSent(couriers, 15_000);
			await eventually(async () => (await writerAmong(live)) !== null, 30_000, 'a new writer');
			await verify(couriers, live, 'SIGKILL');
			syncs = live;
		});
	}, 120_000);

	it('SIGTERM drains a process: its clients are back on another within 2 s', async () => {
		await withCouriers(async (couriers) => {
			let target = syncs[0]!;
			for (const sync of syncs)
				if ((await connectionsOf(sync)) > (await connectionsOf(target))) target = sync;
			const onTarget = await connectionsOf(target);
			const closedAt: number[] = [];
			const backAt: number[] = [];
			for (const courier of couriers) {
				courier.client.provider.on('status', ({ status }: { status: string }) => {
					if (status === 'disconnected') closedAt.push(performance.now());
					else if (status === 'connected' && closedAt.length > backAt.length)
						backAt.push(performance.now());
				});
			}
			const stoppedAt = performance.now();
			const code = await target.stop();
			expect(code).toBe(0);
			const live = syncs.filter((sync) => sync !== target);
			await eventually(
				() => backAt.length >= closedAt.length && closedAt.length > 0,
				10_000,
				'clients back'
			);
			const worst = Math.max(...backAt) - stoppedAt;
			report.push(
				`SIGTERM: ${onTarget} sockets on ${target.url}, ${closedAt.length} closed, all back within ${worst.toFixed(0)} ms`
			);
			expect(closedAt.length).toBeGreaterThan(0);
			expect(worst).toBeLessThan(2_000);
			await allSent(couriers, 15_000);
			await verify(couriers, live, 'SIGTERM');
			syncs = live;
		});
	}, 120_000);

	it('the web app answers through nginx all along, and no snapshot ever lost what an earlier one held', async () => {
		const health = await fetch(`${nginx.publicUrl}/api/health`);
		expect(health.status).toBe(200);
		await checkLineage();
		report.push(
			`snapshots watched: ${snapshotsSeen.size} documents, lineage breaks: ${lineageBreaks.length}`
		);
		expect(snapshotsSeen.size).toBeGreaterThan(0);
		expect(lineageBreaks).toEqual([]);
	});
});
