// The projection's index writer (sync-server/dispatch/projection/index-writer.ts) on the run's
// real database: what differs is written into an existing row; a row it knows costs no read, and
// a change that leaves it as it is no write at all; a guarded write that misses because someone
// else wrote the row falls back to a fresh read; activity alone waits; a missing row means the
// order belongs in no feed; a delivery tells the partner's stats.
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendEvent, createEvent, writeMeta } from '../../src/lib/order/index.ts';
import {
	PEOPLE,
	sampleMeta,
	serverDoc,
	type ServerDocOptions
} from '../../src/lib/order/test-fixtures.ts';
import { collectionsOf, type Collections } from '../../src/lib/shared/db.ts';
import { createLogger } from '../../src/lib/shared/log.ts';
import { SyncDocument } from '../../sync-server/core/document.ts';
import { DeferredActivity } from '../../sync-server/dispatch/projection/deferred-activity.ts';
import { IndexWriter } from '../../sync-server/dispatch/projection/index-writer.ts';
import { readProjectedOrder } from '../../sync-server/dispatch/projection/projected-order.ts';
import { testDatabaseUri } from '../support/database.ts';

let client: MongoClient;
let collections: Collections;
/** The commands the database received on `orders` and `order_claims`, as `<command> <collection>`. */
const commands: string[] = [];
const statsChanged: string[] = [];
const activity = new DeferredActivity({ lazyMs: 60_000, schedule: () => undefined });
let writer: IndexWriter;

beforeAll(async () => {
	client = new MongoClient(testDatabaseUri('index_writer'), { monitorCommands: true });
	client.on('commandStarted', (event) => {
		const collection = event.command[event.commandName] as unknown;
		if (collection === 'orders' || collection === 'order_claims') {
			commands.push(`${event.commandName} ${collection}`);
		}
	});
	await client.connect();
	collections = collectionsOf(client.db());
	writer = new IndexWriter({
		collections,
		log: createLogger('index-writer-test', 'silent'),
		activity,
		onPartnerStatsChanged: (partnerId) => statsChanged.push(partnerId)
	});
});

afterAll(async () => {
	activity.stop();
	await client?.db().dropDatabase();
	await client?.close();
});

/** An order document as the sync-server holds it, with the web app's row for it (unless `noRow`). */
async function loadedOrder(
	orderId: string,
	options: ServerDocOptions & { noRow?: boolean } = {}
): Promise<SyncDocument> {
	const document = new SyncDocument(`order/${orderId}`, { durableReplica: false });
	const doc = serverDoc({ ...options, noMeta: true });
	const meta = sampleMeta({ orderId });
	writeMeta(doc, meta);
	Y.applyUpdate(document.doc, Y.encodeStateAsUpdate(doc));
	if (!options.noRow) {
		await collections.orders.insertOne({
			_id: orderId,
			customerId: meta.customerId,
			customerName: meta.customerName,
			partnerId: null,
			partnerName: null,
			status: 'pending',
			total: meta.total,
			itemCount: 3,
			city: meta.address.city,
			createdAt: new Date(meta.createdAt),
			updatedAt: new Date(meta.createdAt),
			claimedAt: null,
			deliveredAt: null,
			cancelledAt: null,
			rating: null,
			conflicts: 0
		});
	}
	return document;
}

/** Writes the order's row as its document stands; returns the commands that took. */
async function write(document: SyncDocument, options?: { now: boolean }) {
	const order = readProjectedOrder(document.name.slice('order/'.length), document)!;
	commands.length = 0;
	await writer.write([order], options);
	return { order, commands: [...commands] };
}

function step(document: SyncDocument, type: 'preparing' | 'out_for_delivery' | 'delivered') {
	appendEvent(document.doc, createEvent(PEOPLE.partner, type));
}

const row = (orderId: string) => collections.orders.findOne({ _id: orderId });

describe('IndexWriter', () => {
	it('writes what differs, then only what changes, and nothing for what does not', async () => {
		const document = await loadedOrder('iw1', { claimed: true, then: ['preparing'] });
		const first = await write(document);
		// an assigned order: its row is read, the claim decision is not
		expect(first.commands).toEqual(['find orders', 'update orders']);
		expect(first.order.failed).toBe(false);
		expect(await row('iw1')).toMatchObject({
			status: 'preparing',
			partnerId: PEOPLE.partner.userId,
			partnerName: PEOPLE.partner.name,
			city: 'Springfield'
		});

		expect((await write(document)).commands).toEqual([]);
		step(document, 'out_for_delivery');
		expect((await write(document)).commands).toEqual(['update orders']);
		expect((await row('iw1'))?.status).toBe('out_for_delivery');
	});

	it('a row someone else wrote meanwhile is read again and written as the document says', async () => {
		const document = await loadedOrder('iw2', { claimed: true });
		await write(document);
		await collections.orders.updateOne({ _id: 'iw2' }, { $set: { status: 'pending' } });
		step(document, 'preparing');
		const { commands: took } = await write(document);
		expect(took).toEqual(['update orders', 'find orders', 'update orders']);
		expect((await row('iw2'))?.status).toBe('preparing');
		// and the fresh row is known again
		step(document, 'out_for_delivery');
		expect((await write(document)).commands).toEqual(['update orders']);
	});

	it('a change of activity alone waits, unless written now', async () => {
		const document = await loadedOrder('iw3', { claimed: true, then: ['preparing'] });
		await write(document);
		// a step that does not apply where it lands only counts as a conflict
		appendEvent(document.doc, createEvent(PEOPLE.partner, 'delivered'));
		expect((await write(document)).commands).toEqual([]);
		expect(activity.isWaiting('iw3')).toBe(true);
		expect((await row('iw3'))?.conflicts).toBe(0);
		expect((await write(document, { now: true })).commands).toEqual(['update orders']);
		expect(activity.isWaiting('iw3')).toBe(false);
		expect((await row('iw3'))?.conflicts).toBe(1);
	});

	it('an order without a row is written nowhere and belongs in no feed', async () => {
		const document = await loadedOrder('iw4', { noRow: true });
		const { order, commands: took } = await write(document);
		// an unassigned order: its claim decision is read with the row
		expect(took.sort()).toEqual(['find order_claims', 'find orders']);
		expect(order.member).toEqual([]);
		expect(order.failed).toBe(false);
		expect(await row('iw4')).toBeNull();
	});

	it("a delivery tells the partner's stats", async () => {
		const document = await loadedOrder('iw5', { claimed: true, then: ['preparing'] });
		await write(document);
		statsChanged.length = 0;
		step(document, 'out_for_delivery');
		await write(document);
		expect(statsChanged).toEqual([]);
		step(document, 'delivered');
		await write(document);
		expect(statsChanged).toEqual([PEOPLE.partner.userId]);
		expect((await row('iw5'))?.deliveredAt).toBeInstanceOf(Date);
	});
});
