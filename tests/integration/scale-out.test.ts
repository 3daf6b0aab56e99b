// Several sync-server processes sharing one database through Redis (REDIS_URL): clients of one
// order on different processes converge, every process validates what it accepts, concurrent
// writes accepted by two processes fold to the same history everywhere, every accepted update is
// stored once by the single storage writer, and the writer's role moves on when its process goes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import * as Y from 'yjs';
import { randomId } from '../../src/lib/shared/ids.ts';
import { sharedLogKeys } from '../../sync-server/scale-out/shared-log.ts';
import {
	createEvent,
	eventsArray,
	factsOf,
	feedDocName,
	foldStatus,
	readAssignment,
	readEvents,
	readMeta,
	readFeed,
	readPartners,
	readRating,
	writeRating
} from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import {
	actorOf,
	assignedOrder,
	connectProvider,
	createTestUser,
	eventually,
	frames,
	headersFor,
	insertOrderRow,
	RawSyncClient,
	readMetrics,
	readStored,
	sampleMeta,
	serviceClient,
	startTestSyncServer,
	type SyncServerHandle,
	type TestUser,
	withTimeout
} from '../support/sync-clients.ts';

let database: Database;
let uri: string;
let redis: TestRedis;
let customer: TestUser;
let partner: TestUser;
let admin: TestUser;

beforeAll(async () => {
	({ database, uri } = await openTestDatabase('scale_out'));
	redis = await startTestRedis();
	[customer, partner, admin] = await Promise.all([
		createTestUser(database.collections, 'customer', 'Cara'),
		createTestUser(database.collections, 'partner', 'Pat'),
		createTestUser(database.collections, 'admin', 'Ada')
	]);
}, 60_000);

afterAll(async () => {
	await redis?.destroy();
	await dropTestDatabase(database);
});

/** The key prefix in Redis of the processes `startShared` starts. */
const sharedPrefix = () => `test-${uri.length}:`;
const sharedKeys = () => sharedLogKeys(sharedPrefix());

function startShared(processId: string, env: Record<string, string> = {}) {
	return startTestSyncServer(uri, {
		REDIS_URL: redis.url,
		REDIS_PREFIX: sharedPrefix(),
		SYNC_PROCESS_ID: processId,
		...env
	});
}

async function writerOf(servers: SyncServerHandle[]): Promise<SyncServerHandle[]> {
	const writers = [];
	for (const server of servers) {
		if ((await readMetrics(server.url)).get('sync_storage_writer') === 1) writers.push(server);
	}
	return writers;
}

const statusOf = (doc: Y.Doc) =>
	foldStatus(readEvents(doc), factsOf(readMeta(doc)!, readAssignment(doc)));

/**
 * Runs `write` while Redis is away, so that each process admits what it gets without having heard
 * of the other's writes; Redis is back when this resolves.
 */
async function whileRedisAway<T>(write: () => T): Promise<T> {
	await redis.stop();
	const written = write();
	await new Promise((resolve) => setTimeout(resolve, 500));
	await redis.start();
	return written;
}

describe('several sync-server processes over Redis', () => {
	let a: SyncServerHandle;
	let b: SyncServerHandle;

	beforeAll(async () => {
		[a, b] = await Promise.all([startShared('proc-a'), startShared('proc-b')]);
	}, 60_000);

	afterAll(async () => {
		await Promise.all([a?.stop(), b?.stop()]);
	});

	it('has exactly one storage writer', async () => {
		await eventually(async () => (await writerOf([a, b])).length === 1, 15_000, 'one writer');
	});

	it('clients of one order on two processes converge, both ways', async () => {
		const orderId = await assignedOrder(database.collections, a, customer, partner);
		const docName = `order/${orderId}`;
		const onA = connectProvider({ wsUrl: a.wsUrl, docName, cookie: partner.cookie });
		const onB = connectProvider({ wsUrl: b.wsUrl, docName, cookie: customer.cookie });
		try {
			await Promise.all([onA.synced(), onB.synced()]);
			expect(readEvents(onB.doc).map((e) => e.type)).toEqual(['accepted']);
			const started = performance.now();
			onA.doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]);
			await eventually(() => readEvents(onB.doc).length === 2, 5_000, 'B hears A');
			const crossMs = performance.now() - started;
			expect(crossMs).toBeLessThan(1_000);
			// awareness crosses too
			onB.provider.awareness.setLocalStateField('user', { name: 'Cara' });
			await eventually(
				() =>
					[...onA.provider.awareness.getStates().values()].some(
						(state) => (state as { user?: { name?: string } }).user?.name === 'Cara'
					),
				5_000,
				'A sees B’s presence'
			);
			// stored once, by the writer, with nothing left in the shared log
			await eventually(
				async () => readEvents((await readStored(database, docName)).doc).length === 2,
				10_000,
				'stored'
			);
		} finally {
			onA.destroy();
			onB.destroy();
		}
	});

	it('each process validates what it accepts: a skipped step is refused on either', async () => {
		const orderId = await assignedOrder(database.collections, a, customer, partner);
		const docName = `order/${orderId}`;
		for (const server of [a, b]) {
			const forger = connectProvider({
				wsUrl: server.wsUrl,
				docName,
				cookie: partner.cookie,
				reconnect: false
			});
			try {
				await forger.synced();
				const closed = forger.nextClose();
				forger.doc.getArray('events').push([createEvent(actorOf(partner), 'delivered')]);
				expect((await closed).code).toBe(4403);
			} finally {
				forger.destroy();
			}
		}
		// the claim is durable in the shared log; MongoDB has it once the storage writer moved it
		await eventually(
			async () => readEvents((await readStored(database, docName)).doc).length > 0,
			10_000,
			'stored'
		);
		const stored = await readStored(database, docName);
		expect(readEvents(stored.doc).map((e) => e.type)).toEqual(['accepted']);
	});

	it('forged updates built with raw yjs are refused by the process that holds only a replica', async () => {
		// the order's history was written through A; B knows it only as replica updates
		const orderId = await assignedOrder(database.collections, a, customer, partner);
		const docName = `order/${orderId}`;
		const watcherOnA = connectProvider({ wsUrl: a.wsUrl, docName, cookie: customer.cookie });
		try {
			await watcherOnA.synced();
			const refusedOnB = async (
				attack: string,
				doc: Y.Doc,
				forgeOnceSynced?: (client: RawSyncClient) => void
			) => {
				const client = await RawSyncClient.open(`${b.wsUrl}/${docName}`, headersFor(customer), {
					doc
				});
				try {
					client.requestSync();
					if (forgeOnceSynced) {
						await client.until((synced) => eventsArray(synced).length === 1);
						forgeOnceSynced(client);
					}
					expect((await withTimeout(client.closed, 10_000, attack)).code, attack).toBe(4403);
				} finally {
					client.close();
				}
			};
			const cancel = () => createEvent(actorOf(customer), 'cancelled');
			// a fresh document with client id 1 (its cancel would sort before the claim), offered
			// in the handshake
			const fresh = new Y.Doc();
			fresh.clientID = 1;
			eventsArray(fresh).push([cancel()]);
			await refusedOnB('fresh doc, small client id, handshake', fresh);
			// a synced copy with client id 1 inserts a cancel before the first event, sent later
			const copy = new Y.Doc();
			copy.clientID = 1;
			await refusedOnB('insert before the first event, later update', copy, (client) => {
				const before = Y.encodeStateVector(client.doc);
				eventsArray(client.doc).insert(0, [cancel()]);
				client.send(frames.update(Y.encodeStateAsUpdate(client.doc, before)));
			});
			// nothing of it anywhere: not on A's room, not in MongoDB
			await new Promise((resolve) => setTimeout(resolve, 500));
			expect(readEvents(watcherOnA.doc).map((e) => e.type)).toEqual(['accepted']);
			const stored = await readStored(database, docName);
			expect(readEvents(stored.doc).map((e) => e.type)).toEqual(['accepted']);
		} finally {
			watcherOnA.destroy();
		}
	});

	it('two processes accepting the same step at once: one applies, the same history everywhere', async () => {
		const orderId = await assignedOrder(database.collections, a, customer, partner);
		const docName = `order/${orderId}`;
		const partnerOnA = connectProvider({ wsUrl: a.wsUrl, docName, cookie: partner.cookie });
		const adminOnB = connectProvider({ wsUrl: b.wsUrl, docName, cookie: admin.cookie });
		try {
			await Promise.all([partnerOnA.synced(), adminOnB.synced()]);
			// both are the next step where each process stands, so each process admits its own
			// (Redis is away meanwhile, so neither knows of the other's)
			await whileRedisAway(() => {
				partnerOnA.doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]);
				adminOnB.doc.getArray('events').push([createEvent(actorOf(admin), 'preparing')]);
			});
			await eventually(
				() => readEvents(partnerOnA.doc).length === 3 && readEvents(adminOnB.doc).length === 3,
				10_000,
				'both replicas have both events'
			);
			expect([...partnerOnA.closes, ...adminOnB.closes].map((close) => close.code)).not.toContain(
				4403
			);
			const onA = readEvents(partnerOnA.doc).map((e) => e.id);
			const onB = readEvents(adminOnB.doc).map((e) => e.id);
			expect(onB).toEqual(onA);
			const folded = statusOf(partnerOnA.doc);
			expect(folded.status).toBe('preparing');
			expect(folded.conflictCount).toBe(1);
			await eventually(
				async () => {
					const stored = (await readStored(database, docName)).doc;
					return JSON.stringify(readEvents(stored).map((e) => e.id)) === JSON.stringify(onA);
				},
				10_000,
				'stored in the same order'
			);
			// the orders index is written for the change once, and ends with the folded status
			await eventually(
				async () =>
					(await database.collections.orders.findOne({ _id: orderId }))?.status === 'preparing',
				10_000,
				'index row'
			);
		} finally {
			partnerOnA.destroy();
			adminOnB.destroy();
		}
	});

	it('a partner online on one process is online on the admin board served by the other', async () => {
		const board = connectProvider({
			wsUrl: a.wsUrl,
			docName: feedDocName('admin'),
			cookie: admin.cookie
		});
		try {
			await board.synced();
			const online = (doc: Y.Doc) =>
				readPartners(doc).find((entry) => entry.id === partner.userId)?.online;
			await eventually(() => online(board.doc) === false, 10_000, 'listed offline');
			const partnerOnB = connectProvider({
				wsUrl: b.wsUrl,
				docName: feedDocName('partner', partner.userId),
				cookie: partner.cookie
			});
			try {
				await partnerOnB.synced();
				// only B has the partner's socket; only A has feed/admin open
				await eventually(() => online(board.doc) === true, 10_000, 'online on A’s board');
			} finally {
				partnerOnB.destroy();
			}
			await eventually(() => online(board.doc) === false, 15_000, 'offline again');
		} finally {
			board.destroy();
		}
	});

	it('a feed open only on another process gets an order change at once, not lazily', async () => {
		const orderId = await assignedOrder(database.collections, a, customer, partner);
		const docName = `order/${orderId}`;
		// the customer's feed is open on B only; the order is changed on A, whose projection
		// writes the feed: lazily (SYNC_FEED_LAZY_MS, a minute) were it open nowhere
		const feedOnB = connectProvider({
			wsUrl: b.wsUrl,
			docName: feedDocName('customer', customer.userId),
			cookie: customer.cookie
		});
		const courier = connectProvider({ wsUrl: a.wsUrl, docName, cookie: partner.cookie });
		try {
			await Promise.all([feedOnB.synced(), courier.synced()]);
			const statusInFeed = () => readFeed(feedOnB.doc).find((e) => e.id === orderId)?.status;
			await eventually(() => statusInFeed() === 'accepted', 10_000, 'listed');
			courier.doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]);
			await eventually(() => statusInFeed() === 'preparing', 5_000, 'the feed on B moves');
		} finally {
			feedOnB.destroy();
			courier.destroy();
		}
	});

	it('the same event sent to both processes is one event', async () => {
		const orderId = await assignedOrder(database.collections, a, customer, partner);
		const docName = `order/${orderId}`;
		const event = createEvent(actorOf(partner), 'preparing');
		const docA = new Y.Doc();
		const docB = new Y.Doc();
		const onA = connectProvider({ wsUrl: a.wsUrl, docName, cookie: partner.cookie, doc: docA });
		const onB = connectProvider({ wsUrl: b.wsUrl, docName, cookie: partner.cookie, doc: docB });
		try {
			await Promise.all([onA.synced(), onB.synced()]);
			await whileRedisAway(() => {
				docA.getArray('events').push([event]);
				docB.getArray('events').push([event]);
			});
			await eventually(
				() => readEvents(docA).length >= 3 && readEvents(docB).length >= 3,
				10_000,
				'both copies'
			);
			expect([...onA.closes, ...onB.closes].map((close) => close.code)).not.toContain(4403);
			const folded = statusOf(docA);
			expect(folded.steps.filter((step) => step.event.id === event.id)).toHaveLength(1);
			expect(folded.status).toBe('preparing');
		} finally {
			onA.destroy();
			onB.destroy();
		}
	});
});

describe('loading and leaving a document', () => {
	let a: SyncServerHandle;
	let b: SyncServerHandle;
	let keys: Redis;

	beforeAll(async () => {
		const env = { SYNC_IDLE_UNLOAD_MS: '200' };
		[a, b] = await Promise.all([startShared('leave-a', env), startShared('leave-b', env)]);
		keys = new Redis(redis.url);
	}, 60_000);

	afterAll(async () => {
		keys?.disconnect();
		await Promise.all([a?.stop(), b?.stop()]);
	});

	const subscribers = async (docName: string) => {
		const [, count] = (await keys.pubsub('NUMSUB', sharedKeys().channelPrefix + docName)) as [
			string,
			number
		];
		return count;
	};

	it('a load that finds no recorded tail records how far it read; the channel is left after the unload, and joined again by the next load', async () => {
		const orderId = await assignedOrder(database.collections, a, customer, partner);
		const docName = `order/${orderId}`;
		const tailKey = sharedKeys().tailPrefix + docName;
		await eventually(async () => (await keys.get(tailKey)) !== null, 10_000, 'tail recorded');
		// as if it expired: the next load reads the whole log, and records what it found
		await keys.del(tailKey);
		const watcher = connectProvider({ wsUrl: b.wsUrl, docName, cookie: customer.cookie });
		try {
			await watcher.synced();
			await eventually(async () => Number(await keys.get(tailKey)) >= 1, 5_000, 'tail again');
		} finally {
			watcher.destroy();
		}
		// nobody holds it: both processes unload it and leave its channel
		await eventually(async () => (await subscribers(docName)) === 0, 10_000, 'channel left');
		const writer = connectProvider({ wsUrl: a.wsUrl, docName, cookie: partner.cookie });
		const again = connectProvider({ wsUrl: b.wsUrl, docName, cookie: customer.cookie });
		try {
			await Promise.all([writer.synced(), again.synced()]);
			expect(await subscribers(docName)).toBe(2);
			writer.doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]);
			await eventually(() => readEvents(again.doc).length === 2, 5_000, 'B hears A again');
		} finally {
			writer.destroy();
			again.destroy();
		}
	});
});

describe('the storage writer', () => {
	it('moves to another process when its process stops, and nothing accepted is lost', async () => {
		const first = await startShared('writer-1');
		await eventually(async () => (await writerOf([first])).length === 1, 15_000, 'first writes');
		const second = await startShared('writer-2');
		try {
			const orderId = await assignedOrder(database.collections, second, customer, partner);
			const docName = `order/${orderId}`;
			const client = connectProvider({ wsUrl: second.wsUrl, docName, cookie: partner.cookie });
			try {
				await client.synced();
				expect(await writerOf([second])).toHaveLength(0);
				await first.stop();
				client.doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]);
				await eventually(
					async () => (await writerOf([second])).length === 1,
					15_000,
					'second writes'
				);
				await eventually(
					async () => readEvents((await readStored(database, docName)).doc).length === 2,
					15_000,
					'stored by the new writer'
				);
				// and compaction only ever ran where the writer was
				const metrics = await readMetrics(second.url);
				expect(metrics.get('sync_shared_log_backlog')).toBe(0);
			} finally {
				client.destroy();
			}
		} finally {
			await Promise.all([first.stop(), second.stop()]);
		}
	}, 90_000);
});

describe('entries of an ended term', () => {
	it('are taken over by the writer within seconds, not after the 30 s reclaim, and their consumer removed', async () => {
		const prefix = 'orphans:';
		const writer = await startTestSyncServer(uri, {
			REDIS_URL: redis.url,
			REDIS_PREFIX: prefix,
			SYNC_PROCESS_ID: 'orphans-writer'
		});
		const keys = new Redis(redis.url);
		try {
			await eventually(async () => (await writerOf([writer])).length === 1, 15_000, 'writer');
			// a term that ended after its read delivered an entry (as a read in flight does once
			// Redis is back after an outage): the entry is pending under that term's consumer
			const docName = `order/orphan-${randomId()}`;
			const doc = new Y.Doc();
			doc.getArray<string>('n').push(['kept']);
			const { stream, group } = sharedLogKeys(prefix);
			// in one transaction, so that the writer's own blocked read does not get it first
			const [, read] = (await keys
				.multi()
				.xadd(stream, '*', 'd', docName, 'u', Buffer.from(Y.encodeStateAsUpdate(doc)))
				.xreadgroup('GROUP', group, 'ended-process/0000', 'COUNT', 10, 'STREAMS', stream, '>')
				.exec())!;
			expect(read![1]).not.toBeNull();
			const started = Date.now();
			await eventually(
				async () =>
					(await readStored(database, docName)).doc.getArray<string>('n').toArray()[0] === 'kept',
				10_000,
				'stored by the writer'
			);
			expect(Date.now() - started).toBeLessThan(10_000);
			await eventually(
				async () => {
					const consumers = (await keys.xinfo('CONSUMERS', stream, group)) as unknown[][];
					return consumers.every((fields) => !fields.includes('ended-process/0000'));
				},
				5_000,
				'consumer removed'
			);
			await eventually(async () => (await keys.xlen(stream)) === 0, 5_000, 'stream empty');
		} finally {
			keys.disconnect();
			await writer.stop();
		}
	}, 60_000);
});

describe('concurrent writes on two processes', () => {
	it('a cancel on one process and a claim on the other at once: the index shows the merged fold', async () => {
		// Redis is stopped while both are admitted, so neither process knows of the other's; both
		// project as soon as their change is durable, so each projects its own view first
		const fast = { SYNC_PROJECTION_DELAY_MS: '1' };
		const [a, b] = await Promise.all([
			startShared('concurrent-a', fast),
			startShared('concurrent-b', fast)
		]);
		try {
			for (let round = 0; round < 3; round++) {
				const orderId = randomId(8);
				await insertOrderRow(database.collections, orderId, customer.userId);
				await serviceClient(a).initOrder(orderId, sampleMeta(orderId, customer.userId));
				const docName = `order/${orderId}`;
				const customerOnA = connectProvider({ wsUrl: a.wsUrl, docName, cookie: customer.cookie });
				const watcherOnB = connectProvider({ wsUrl: b.wsUrl, docName, cookie: customer.cookie });
				try {
					await Promise.all([customerOnA.synced(), watcherOnB.synced()]);
					const { claim } = await whileRedisAway(() => {
						customerOnA.doc.getArray('events').push([createEvent(actorOf(customer), 'cancelled')]);
						return {
							claim: serviceClient(b).assign(
								orderId,
								{
									partnerId: partner.userId,
									partnerName: partner.name,
									claimedAt: new Date().toISOString()
								},
								createEvent(actorOf(partner), 'accepted')
							)
						};
					});
					await claim;
					await eventually(
						() =>
							readEvents(customerOnA.doc).length === 2 && readEvents(watcherOnB.doc).length === 2,
						15_000,
						'both replicas have both events'
					);
					const folded = statusOf(customerOnA.doc);
					expect(folded.conflictCount).toBe(1);
					expect(statusOf(watcherOnB.doc).status).toBe(folded.status);
					await eventually(
						async () =>
							(await database.collections.orders.findOne({ _id: orderId }))?.status ===
							folded.status,
						10_000,
						`index row says ${folded.status}`
					);
					// and stays so (no late projection of either process's own view)
					await new Promise((resolve) => setTimeout(resolve, 1_000));
					expect((await database.collections.orders.findOne({ _id: orderId }))?.status).toBe(
						folded.status
					);
				} finally {
					customerOnA.destroy();
					watcherOnB.destroy();
				}
			}
		} finally {
			await Promise.all([a.stop(), b.stop()]);
		}
	}, 120_000);
	it('two ratings of one order admitted by two processes at once: one whole rating everywhere', async () => {
		const [a, b] = await Promise.all([startShared('rating-a'), startShared('rating-b')]);
		try {
			const orderId = await assignedOrder(database.collections, a, customer, partner);
			const docName = `order/${orderId}`;
			const courier = connectProvider({ wsUrl: a.wsUrl, docName, cookie: partner.cookie });
			try {
				await courier.synced();
				for (const step of ['preparing', 'out_for_delivery', 'delivered'] as const) {
					courier.doc.getArray('events').push([createEvent(actorOf(partner), step)]);
				}
				await eventually(
					async () => readEvents((await readStored(database, docName)).doc).length === 4,
					10_000,
					'delivered'
				);
			} finally {
				courier.destroy();
			}
			const phone = connectProvider({ wsUrl: a.wsUrl, docName, cookie: customer.cookie });
			const laptop = connectProvider({ wsUrl: b.wsUrl, docName, cookie: customer.cookie });
			try {
				await Promise.all([phone.synced(), laptop.synced()]);
				await whileRedisAway(() => {
					writeRating(phone.doc, { stars: 5, comment: 'quick and friendly' });
					writeRating(laptop.doc, { stars: 1, comment: 'cold food' });
				});
				await eventually(
					() => JSON.stringify(readRating(phone.doc)) === JSON.stringify(readRating(laptop.doc)),
					15_000,
					'both copies agree'
				);
				// both were admitted where they arrived (neither copy was refused)
				expect([...phone.closes, ...laptop.closes].map((close) => close.code)).not.toContain(4403);
				const rating = readRating(phone.doc);
				// one of the two, whole: never the stars of one with the comment of the other
				expect([
					JSON.stringify({ stars: 5, comment: 'quick and friendly' }),
					JSON.stringify({ stars: 1, comment: 'cold food' })
				]).toContain(JSON.stringify({ stars: rating?.stars, comment: rating?.comment }));
				await eventually(
					async () =>
						JSON.stringify(readRating((await readStored(database, docName)).doc)) ===
						JSON.stringify(rating),
					15_000,
					'stored the same'
				);
			} finally {
				phone.destroy();
				laptop.destroy();
			}
		} finally {
			await Promise.all([a.stop(), b.stop()]);
		}
	}, 90_000);
});

/**
 * An order whose partner writes on `a`, with a customer watching on `a` and another on `b`: once
 * all three are synced, Redis stops and the partner sends `preparing`, which `a`'s room hears at
 * once (accepted and journaled).
 */
async function preparingWhileRedisAway(a: SyncServerHandle, b: SyncServerHandle) {
	const orderId = await assignedOrder(database.collections, a, customer, partner);
	const docName = `order/${orderId}`;
	const writer = connectProvider({ wsUrl: a.wsUrl, docName, cookie: partner.cookie });
	const watcherA = connectProvider({ wsUrl: a.wsUrl, docName, cookie: customer.cookie });
	const watcherB = connectProvider({ wsUrl: b.wsUrl, docName, cookie: customer.cookie });
	const close = () => {
		writer.destroy();
		watcherA.destroy();
		watcherB.destroy();
	};
	try {
		await Promise.all([writer.synced(), watcherA.synced(), watcherB.synced()]);
		await redis.stop();
		writer.doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]);
		await eventually(() => readEvents(watcherA.doc).length === 2, 5_000, 'A relays it');
	} catch (error) {
		close();
		throw error;
	}
	return { docName, writer, watcherA, watcherB, close };
}

describe('Redis going away', () => {
	it('under writes: no crash, nothing lost, the replicas converge once it is back', async () => {
		const [a, b] = await Promise.all([startShared('outage-a'), startShared('outage-b')]);
		try {
			const { docName, writer, watcherA, watcherB, close } = await preparingWhileRedisAway(a, b);
			try {
				await new Promise((resolve) => setTimeout(resolve, 3_000));
				// not in the shared log while Redis is away: B has not heard it, nor confirmed it
				expect(readEvents(watcherB.doc)).toHaveLength(1);
				expect(a.child.exitCode).toBeNull();
				expect(b.child.exitCode).toBeNull();
				await redis.start();
				await eventually(
					() => readEvents(watcherA.doc).length === 2 && readEvents(watcherB.doc).length === 2,
					15_000,
					'both rooms have it after Redis is back'
				);
				writer.doc.getArray('events').push([createEvent(actorOf(partner), 'out_for_delivery')]);
				await eventually(() => readEvents(watcherB.doc).length === 3, 10_000, 'and after');
				await eventually(
					async () => readEvents((await readStored(database, docName)).doc).length === 3,
					20_000,
					'stored'
				);
			} finally {
				close();
			}
		} finally {
			await Promise.all([a.stop(), b.stop()]);
		}
	}, 90_000);

	it('a process killed while Redis is away: the next one on its disk appends what it journaled', async () => {
		const [a, b] = await Promise.all([startShared('journal-a'), startShared('journal-b')]);
		let successor: SyncServerHandle | null = null;
		try {
			const { docName, writer, watcherA, watcherB, close } = await preparingWhileRedisAway(a, b);
			try {
				// A dies with the update relayed but in no shared log; its clients go with it (the
				// writer cannot send it again: only A's journal has it)
				await a.kill();
				writer.destroy();
				watcherA.destroy();
				await redis.start();
				// another process started on A's disk takes over A's journal before it serves
				successor = await startShared('journal-a2', { LOG_LEVEL: 'info' });
				await eventually(() => readEvents(watcherB.doc).length === 2, 15_000, 'B hears it');
				await eventually(
					async () => readEvents((await readStored(database, docName)).doc).length === 2,
					20_000,
					'stored'
				);
				expect(successor.output()).toContain('journal replayed');
			} finally {
				close();
			}
		} finally {
			await Promise.all([a.stop(), b.stop(), successor?.stop()]);
		}
	}, 90_000);
});
