// Fuzzing the real server with random and mutated frames: at least 10,000 frames handled, the
// process stays up, and honest clients in the same rooms keep syncing, untouched.
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { createEvent, readOrder, type EventType } from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import {
	actorOf,
	connectProvider,
	createTestUser,
	eventually,
	frames,
	headersFor,
	RawSyncClient,
	readMetrics,
	readStored,
	startTestSyncServer,
	type SyncServerHandle,
	type TestUser,
	assignedOrder
} from '../support/sync-clients.ts';

const TARGET_FRAMES = 10_000;
const CONCURRENCY = 16;
const FRAMES_PER_SESSION = 60;

let database: Database;
let server: SyncServerHandle;
let customer: TestUser;
let partner: TestUser;
let admin: TestUser;
let orderId: string;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with FUZZ_SEED. */
function prng(seed: number) {
	let a = seed >>> 0;
	const next = () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	return {
		next,
		int: (max: number) => Math.floor(next() * max),
		pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!,
		bytes: (length: number) => Uint8Array.from({ length }, () => Math.floor(next() * 256))
	};
}

beforeAll(async () => {
	const opened = await openTestDatabase('sync_fuzz');
	database = opened.database;
	[customer, partner, admin] = await Promise.all([
		createTestUser(database.collections, 'customer'),
		createTestUser(database.collections, 'partner'),
		createTestUser(database.collections, 'admin')
	]);
	server = await startTestSyncServer(opened.uri, { SYNC_AUTH_CONCURRENCY: '4' });
	orderId = await assignedOrder(database.collections, server, customer, partner);
});

afterAll(async () => {
	await server?.stop();
	await dropTestDatabase(database);
});

/** Well-formed frames of every kind, built from real documents; the fuzzer mutates them. */
function corpus(random: ReturnType<typeof prng>, base: Y.Doc): Uint8Array[] {
	const seeds: Uint8Array[] = [
		frames.queryAwareness(),
		frames.step1(base),
		frames.step1(new Y.Doc())
	];
	const roots = ['meta', 'assignment', 'events', 'rating', 'orders', 'junk'];
	for (let i = 0; i < 12; i++) {
		const doc = new Y.Doc();
		Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
		const before = Y.encodeStateVector(doc);
		const root = random.pick(roots);
		// (never an admin's event: an admin's next step or cancel is legal, and the fuzzing sockets
		// include an admin's, so it would move the honest partner's order on for real)
		const user = random.pick([customer, partner]);
		if (root === 'events' || root === 'junk') {
			const type = random.pick<EventType>([
				'preparing',
				'out_for_delivery',
				'delivered',
				'cancelled',
				'accepted'
			]);
			doc.getArray(root).push([createEvent(actorOf(user), type)]);
		} else {
			doc
				.getMap(root)
				.set(
					random.pick(['stars', 'comment', 'total', 'x']),
					random.pick([5, 'text', null, { a: 1 }])
				);
		}
		if (random.next() < 0.3) doc.getArray('events').delete(0, 1);
		const update = Y.encodeStateAsUpdate(doc, before);
		seeds.push(frames.update(update));
		const step2 = encoding.createEncoder();
		encoding.writeVarUint(step2, 0);
		encoding.writeVarUint(step2, 1);
		encoding.writeVarUint8Array(step2, update);
		seeds.push(encoding.toUint8Array(step2));
	}
	for (let i = 0; i < 4; i++) {
		const awareness = encoding.createEncoder();
		encoding.writeVarUint(awareness, 1);
		encoding.writeVarUint(awareness, random.int(2 ** 31));
		encoding.writeVarUint(awareness, random.int(100));
		encoding.writeVarString(
			awareness,
			JSON.stringify({ user: { name: 'fuzz' }, cursor: random.int(1000) })
		);
		seeds.push(frames.awareness(encoding.toUint8Array(awareness)));
	}
	return seeds;
}

function mutate(random: ReturnType<typeof prng>, seed: Uint8Array): Uint8Array {
	const bytes = Uint8Array.from(seed);
	switch (random.int(8)) {
		case 0: // flip bits
			for (let i = 0, n = 1 + random.int(4); i < n && bytes.length > 0; i++) {
				bytes[random.int(bytes.length)]! ^= 1 << random.int(8);
			}
			return bytes;
		case 1: // overwrite a byte
			if (bytes.length > 0) bytes[random.int(bytes.length)] = random.int(256);
			return bytes;
		case 2: // truncate
			return bytes.slice(0, random.int(bytes.length + 1));
		case 3: // append garbage
			return Uint8Array.from([...bytes, ...random.bytes(1 + random.int(16))]);
		case 4: {
			// insert garbage in the middle
			const at = random.int(bytes.length + 1);
			return Uint8Array.from([
				...bytes.slice(0, at),
				...random.bytes(1 + random.int(8)),
				...bytes.slice(at)
			]);
		}
		case 5: // another message type or sync step
			if (bytes.length > 0) bytes[0] = random.int(6);
			if (bytes.length > 1 && random.next() < 0.5) bytes[1] = random.int(5);
			return bytes;
		case 6: {
			// a huge declared length
			const header = encoding.createEncoder();
			encoding.writeVarUint(header, 0);
			encoding.writeVarUint(header, random.int(3));
			encoding.writeVarUint(header, 2 ** 30 + random.int(1000));
			return Uint8Array.from([...encoding.toUint8Array(header), ...bytes.slice(3)]);
		}
		default: // duplicate a slice
			if (bytes.length < 2) return bytes;
			{
				const from = random.int(bytes.length - 1);
				const to = from + 1 + random.int(bytes.length - from - 1);
				return Uint8Array.from([
					...bytes.slice(0, to),
					...bytes.slice(from, to),
					...bytes.slice(to)
				]);
			}
	}
}

function nextFrame(random: ReturnType<typeof prng>, seeds: Uint8Array[]): Uint8Array {
	const roll = random.next();
	if (roll < 0.2) return random.bytes(random.int(random.next() < 0.9 ? 48 : 4096)); // pure noise
	if (roll < 0.4) return random.pick(seeds); // well-formed (valid or refused by policy)
	return mutate(random, random.pick(seeds));
}

it(
	`survives ${TARGET_FRAMES}+ random and mutated frames while honest clients keep syncing`,
	{ timeout: 150_000 },
	async () => {
		const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
		console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
		const random = prng(seed);
		const docName = `order/${orderId}`;

		// honest clients: the assigned partner delivers the order step by step while the customer
		// watches (admission allows each step once, so the steps are spread over the fuzzing)
		const writer = connectProvider({ wsUrl: server.wsUrl, docName, cookie: partner.cookie });
		const watcher = connectProvider({ wsUrl: server.wsUrl, docName, cookie: customer.cookie });
		await Promise.all([writer.synced(), watcher.synced()]);
		const written: string[] = [];
		const steps: EventType[] = ['preparing', 'out_for_delivery', 'delivered'];
		const writing = setInterval(() => {
			const type = steps.shift();
			if (type === undefined) return;
			const event = createEvent(actorOf(partner), type);
			written.push(event.id);
			writer.doc.getArray('events').push([event]);
		}, 1_500);

		const seeds = corpus(random, writer.doc);
		const startMessages = (await readMetrics(server.url)).get('sync_messages_received_total') ?? 0;
		let handled = 0;
		let sessions = 0;
		const rooms = [
			{ user: admin, doc: docName },
			{ user: customer, doc: docName },
			{ user: admin, doc: 'feed/admin' },
			{ user: partner, doc: 'feed/open' }
		];
		const deadline = Date.now() + 120_000;
		const progress = setInterval(async () => {
			handled =
				((await readMetrics(server.url).catch(() => null))?.get('sync_messages_received_total') ??
					startMessages) - startMessages;
		}, 250);
		async function fuzzer(): Promise<void> {
			while (handled < TARGET_FRAMES && Date.now() < deadline) {
				const room = random.pick(rooms);
				const client = await RawSyncClient.open(
					`${server.wsUrl}/${room.doc}`,
					headersFor(room.user)
				);
				sessions++;
				for (let i = 0; i < FRAMES_PER_SESSION && client.isOpen; i++) {
					client.send(nextFrame(random, seeds));
					await new Promise((resolve) => setImmediate(resolve));
				}
				client.close();
			}
		}
		await Promise.all(Array.from({ length: CONCURRENCY }, fuzzer));
		clearInterval(progress);
		clearInterval(writing);
		handled =
			((await readMetrics(server.url)).get('sync_messages_received_total') ?? 0) - startMessages;
		console.log(`fuzz: ${handled} frames handled by the server over ${sessions} sockets`);
		expect(handled).toBeGreaterThanOrEqual(TARGET_FRAMES);

		// still up, still healthy
		expect(server.child.exitCode).toBeNull();
		expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
		// the honest clients were never disturbed and converge with each other and with the database
		await eventually(
			() => written.every((id) => readOrder(watcher.doc)!.events.some((e) => e.id === id)),
			10_000,
			'watcher has every write'
		);
		const sameDoc = (a: Y.Doc, b: Y.Doc) =>
			JSON.stringify(readOrder(a)) === JSON.stringify(readOrder(b)) &&
			Buffer.from(Y.encodeStateVector(a)).equals(Buffer.from(Y.encodeStateVector(b)));
		await eventually(
			async () => sameDoc((await readStored(database, docName)).doc, watcher.doc),
			10_000,
			'database matches the clients'
		);
		expect(sameDoc(writer.doc, watcher.doc)).toBe(true);
		// never refused by the server (a dropped connection on an overloaded machine is not a refusal)
		const refusals = [...writer.closes, ...watcher.closes].filter((close) => close.code !== 1006);
		expect(refusals).toEqual([]);
		// and a newcomer syncs normally
		const late = connectProvider({ wsUrl: server.wsUrl, docName, cookie: admin.cookie });
		await late.synced();
		expect(readOrder(late.doc)!.events.length).toBe(readOrder(watcher.doc)!.events.length);
		late.destroy();
		writer.destroy();
		watcher.destroy();
	}
);
