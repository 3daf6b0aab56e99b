// Ours only: delivered orders with a realistic history, then what they cost at rest and to load.
// Each order is created and claimed through the service channel, moved on by its partner over a
// socket (preparing → out_for_delivery → delivered, one update each) and rated by its customer:
// every client write is legal under the order rules (the assigned partner writes each next step
// once, on top of its own earlier ones, alone in the document; the customer rates once, after
// delivery).
// After everyone leaves, the documents unload (short idle timeout) and are compacted; then we
// read the stored bytes, and time cold loads from MongoDB twice: the persistence's own load path
// in this process, and a client's first sync over a socket (auth + room policy + load + step 2).
import { Registry } from 'prom-client';
import * as Y from 'yjs';
import {
	appendEvent,
	createEvent,
	readOrder,
	writeRating,
	type Actor
} from '../../src/lib/order/index.ts';
import { createSession, SESSION_COOKIE } from '../../src/lib/shared/session.ts';
import type { Collections, Database } from '../../src/lib/shared/db.ts';
import { createLogger } from '../../src/lib/shared/log.ts';
import { readLogRows } from '../../sync-server/persistence/log-generations.ts';
import { MongoPersistence } from '../../sync-server/persistence/mongo-persistence.ts';
import { mapLimit } from '../database.ts';
import { orderIdOf, seedOrders, type Person, type Population } from '../fixtures.ts';
import { BenchClient, type ClientIdentity } from '../load/client.ts';
import { yWebsocketProtocol } from '../load/protocol.ts';
import { sleep } from '../processes.ts';
import { BENCH_ORIGIN, type RunningServer } from '../servers.ts';
import { median, percentiles } from '../stats.ts';

export interface LifecycleResult {
	orders: number;
	/** Stored bytes (snapshot update + state vector + any log left) ÷ final Yjs state, per order. */
	storage: { finalStateBytes: number; storedBytes: number; ratioMedian: number; ratioMax: number };
	/** MongoPersistence.load + Y.applyUpdate into a fresh doc, in this process. */
	coldLoadMs: {
		p50: number;
		p99: number;
		samples: number;
		/** The five slowest loads, ms, with the pass (0–2) each was in. */
		slowest: Array<{ ms: number; pass: number }>;
	};
	/** Baseline: a bare `findOne` by `_id` of the same snapshot rows, as many times. */
	bareFindMs: { p50: number; p99: number };
	/** A client's connect → first sync completed on an unloaded document. */
	coldSyncMs: { p50: number; p99: number; samples: number };
	compacted: number;
}

const NOOP = () => undefined;

/** Connects one client and resolves once its first sync completed. */
function connectClient(
	identity: ClientIdentity,
	wsBase: string,
	timeoutMs = 15_000
): Promise<BenchClient> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			client.destroy();
			reject(new Error(`${identity.docName}: no sync within ${timeoutMs} ms`));
		}, timeoutMs);
		const client: BenchClient = new BenchClient(identity, yWebsocketProtocol, wsBase, {
			synced: () => {
				clearTimeout(timer);
				resolve(client);
			},
			failed: (_client, reason) => {
				clearTimeout(timer);
				client.destroy();
				reject(new Error(`${identity.docName}: ${reason}`));
			},
			closed: NOOP,
			received: NOOP
		});
		client.connect();
	});
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
		await sleep(20);
	}
}

async function cookieFor(c: Collections, person: Person): Promise<string> {
	const { token } = await createSession(c, person.userId);
	return `${SESSION_COOKIE}=${token}`;
}

function identity(person: Person, cookie: string, docName: string, index: number): ClientIdentity {
	return {
		index,
		docIndex: index,
		docName,
		userId: person.userId,
		role: person.role,
		cookie,
		origin: BENCH_ORIGIN
	};
}

/** Moves one order through its whole life over real sockets; returns its final state size. */
async function deliverAndRate(
	c: Collections,
	server: RunningServer,
	population: Population,
	orderId: string,
	index: number
): Promise<number> {
	const docName = `order/${orderId}`;
	const partner = population.partners[index % population.partners.length]!;
	const customer = population.customers[index % population.customers.length]!;
	const partnerClient = await connectClient(
		identity(partner, await cookieFor(c, partner), docName, index),
		server.wsUrl
	);
	const actor: Actor = { userId: partner.userId, role: 'partner', name: partner.name };
	try {
		const relayedBefore = partnerClient.updatesReceived;
		for (const type of ['preparing', 'out_for_delivery', 'delivered'] as const) {
			partnerClient.write((doc) => appendEvent(doc, createEvent(actor, type)));
			await sleep(60); // separate updates, as separate taps on the partner's phone are
		}
		// ours relays an update to everyone in the room, the sender too, once it is durable
		await until(
			() => partnerClient.updatesReceived >= relayedBefore + 3,
			`${orderId}: partner's updates relayed`
		);
	} finally {
		partnerClient.destroy();
	}
	// the server answers a first sync only once what it holds is durable: the customer sees all
	const customerClient = await connectClient(
		identity(customer, await cookieFor(c, customer), docName, index),
		server.wsUrl
	);
	try {
		const status = readOrder(customerClient.doc)?.status;
		if (status !== 'delivered') throw new Error(`${orderId}: expected delivered, found ${status}`);
		customerClient.write((doc) =>
			writeRating(doc, { stars: 5, comment: 'Quick and still warm, thanks!' })
		);
		await sleep(150);
		return Y.encodeStateAsUpdate(customerClient.doc).length;
	} finally {
		customerClient.destroy();
	}
}

/**
 * Snapshot + the log rows it has not merged. Merged rows wait for their log generation to be
 * dropped (within SYNC's generation age, a minute by default) and are not counted.
 */
async function storedBytes(database: Database, docName: string) {
	const snapshot = await database.collections.docSnapshots.findOne({ _id: docName });
	const mergedSeq = snapshot?.mergedSeq ?? 0;
	const log = (await readLogRows(database.db, docName)).filter((row) => row.seq > mergedSeq);
	const bytes =
		(snapshot ? snapshot.update.length() + snapshot.stateVector.length() : 0) +
		log.reduce((n, row) => n + row.update.length(), 0);
	return { bytes, compacted: snapshot !== null && log.length === 0 };
}

export async function measureLifecycle(options: {
	database: Database;
	server: RunningServer;
	population: Population;
	count: number;
	log(line: string): void;
}): Promise<LifecycleResult> {
	const { database, server, population, count } = options;
	const c = database.collections;
	const runTag = 'lc';
	await seedOrders({ collections: c, syncHttpUrl: server.httpUrl, population, runTag, count });
	const ids = Array.from({ length: count }, (_, i) => orderIdOf(runTag, i));
	const finalSizes = await mapLimit(ids, 8, (orderId, i) =>
		deliverAndRate(c, server, population, orderId, i)
	);

	// everyone has left: wait for the documents to unload, which compacts them
	const names = ids.map((id) => `order/${id}`);
	const deadline = Date.now() + 30_000;
	let stored = await Promise.all(names.map((name) => storedBytes(database, name)));
	while (stored.some((s) => !s.compacted) && Date.now() < deadline) {
		await sleep(250);
		stored = await Promise.all(names.map((name) => storedBytes(database, name)));
	}
	const compacted = stored.filter((s) => s.compacted).length;
	options.log(`    ${compacted}/${count} delivered orders compacted`);
	const ratios = stored.map((s, i) => s.bytes / finalSizes[i]!);

	// cold load through the persistence's own code path (3 passes for enough samples)
	const persistence = new MongoPersistence(database, {
		retireEarlierGenerations: false, // the server owns the log; this only reads
		persistDelayMs: 0,
		compactThreshold: 1_000_000,
		maxFlushAttempts: 1,
		log: createLogger('bench', 'silent'),
		registry: new Registry()
	});
	// startup work, not a load: finding the log's generations, and a first round trip that opens
	// the driver's connection (a running server has both long before it loads a document)
	await persistence.open();
	await persistence.load(names[0]!);
	const loadTimes: number[] = [];
	const loadPasses: number[] = [];
	// baseline: the database's own latency for the one lookup a compacted order's load makes,
	// taken right after each load so that both see the same conditions
	const bareTimes: number[] = [];
	for (let pass = 0; pass < 3; pass++) {
		for (const name of names) {
			const started = performance.now();
			const state = await persistence.load(name);
			const doc = new Y.Doc();
			if (state) Y.applyUpdate(doc, state);
			loadTimes.push(performance.now() - started);
			loadPasses.push(pass);
			doc.destroy();
			const bareStarted = performance.now();
			await c.docSnapshots.findOne({ _id: name });
			bareTimes.push(performance.now() - bareStarted);
		}
	}
	const [bareP50, bareP99] = percentiles(bareTimes, [50, 99]);
	const slowest = loadTimes
		.map((ms, i) => ({ ms, pass: loadPasses[i]! }))
		.sort((a, b) => b.ms - a.ms)
		.slice(0, 5);

	// a client's first sync of each (unloaded) document, one at a time so it measures latency
	const admin = population.admins[0]!;
	const adminCookie = await cookieFor(c, admin);
	const syncTimes: number[] = [];
	for (const [i, name] of names.entries()) {
		const started = performance.now();
		const client = await connectClient(identity(admin, adminCookie, name, i), server.wsUrl);
		syncTimes.push(performance.now() - started);
		if (readOrder(client.doc)?.rating == null)
			throw new Error(`${name}: the rating did not survive`);
		client.destroy();
	}
	const [loadP50, loadP99] = percentiles(loadTimes, [50, 99]);
	const [syncP50, syncP99] = percentiles(syncTimes, [50, 99]);
	return {
		orders: count,
		storage: {
			finalStateBytes: median(finalSizes),
			storedBytes: median(stored.map((s) => s.bytes)),
			ratioMedian: median(ratios),
			ratioMax: Math.max(...ratios)
		},
		coldLoadMs: { p50: loadP50!, p99: loadP99!, samples: loadTimes.length, slowest },
		bareFindMs: { p50: bareP50!, p99: bareP99! },
		coldSyncMs: { p50: syncP50!, p99: syncP99!, samples: syncTimes.length },
		compacted
	};
}
