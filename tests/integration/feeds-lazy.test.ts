// A feed nobody has open is written at most every SYNC_FEED_LAZY_MS; whoever opens it gets what
// it was owed right away, an open feed follows every batch, an order document that unloads pays
// what its feeds are owed, and a graceful stop writes the rest
// (sync-server/dispatch/projection/lazy-feeds.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	appendEvent,
	createEvent,
	feedDocName,
	orderDocName,
	readFeed
} from '../../src/lib/order/index.ts';
import { eventually, readMetrics, readStored } from '../support/sync-clients.ts';
import {
	claim,
	openDoc,
	person,
	placeOrder,
	startOrderStack,
	until,
	type OrderStack,
	type Person
} from './orders-support.ts';

const IDLE_UNLOAD_MS = 400;

let stack: OrderStack;
let unloading: OrderStack;
let customer: Person;
let partner: Person;

beforeAll(async () => {
	// longer than the test: anything the partner's feed gets before it is opened was owed
	stack = await startOrderStack('feeds_lazy', { syncEnv: { SYNC_FEED_LAZY_MS: '60000' } });
	// the default feed wait (60 s, longer than the test) and documents unloaded soon after use
	unloading = await startOrderStack('feeds_lazy_unload', {
		syncEnv: { SYNC_IDLE_UNLOAD_MS: String(IDLE_UNLOAD_MS) }
	});
	[customer, partner] = await Promise.all([
		person(stack, 'customer', 'Cleo'),
		person(stack, 'partner', 'Pavel')
	]);
});

afterAll(async () => {
	await Promise.all([stack?.stop(), unloading?.stop()]);
});

describe('a feed nobody has open', () => {
	it('waits, catches up when opened, follows while open, and is written on stop', async () => {
		const orderId = await placeOrder(customer);
		expect((await claim(partner, orderId)).status).toBe(200);
		const partnerFeed = feedDocName('partner', partner.userId);
		const storedEntry = async () =>
			readFeed((await readStored(stack.database, partnerFeed)).doc).find((e) => e.id === orderId);
		const orderDoc = await openDoc(stack, partner, orderDocName(orderId));
		// a feed someone has open: the customer's (it keeps finished orders, unlike the board)
		const board = await openDoc(stack, customer, feedDocName('customer', customer.userId));
		const onBoard = () => readFeed(board.doc).find((entry) => entry.id === orderId);
		const actor = { userId: partner.userId, role: 'partner' as const };
		try {
			// the claim was the partner feed's first write: at once
			await until(board.doc, () => onBoard()?.status === 'accepted', 'accepted in the open feed');
			await eventually(
				async () => (await storedEntry())?.status === 'accepted',
				10_000,
				'the claim in the stored partner feed'
			);

			// the open feed shows the next step; the partner's feed (not open) is owed it
			appendEvent(orderDoc.doc, createEvent(actor, 'preparing'));
			await until(board.doc, () => onBoard()?.status === 'preparing', 'preparing in the open feed');
			await new Promise((resolve) => setTimeout(resolve, 500));
			expect((await storedEntry())?.status).toBe('accepted');

			// opened: it catches up with the next batch, and then follows every change
			const feed = await openDoc(stack, partner, partnerFeed);
			const inFeed = () => readFeed(feed.doc).find((entry) => entry.id === orderId);
			try {
				await until(feed.doc, () => inFeed()?.status === 'preparing', 'owed change on opening');
				appendEvent(orderDoc.doc, createEvent(actor, 'out_for_delivery'));
				await until(feed.doc, () => inFeed()?.status === 'out_for_delivery', 'live while open');
			} finally {
				feed.destroy();
			}
			await until(board.doc, () => onBoard()?.status === 'out_for_delivery', 'in the open feed');

			// closed again (and written a moment ago): owed once more, until the server stops
			await eventually(
				async () => (await readMetrics(stack.sync.url)).get('sync_connections') === 2,
				10_000,
				'the partner feed closed on the server'
			);
			appendEvent(orderDoc.doc, createEvent(actor, 'delivered'));
			await until(board.doc, () => onBoard()?.status === 'delivered', 'delivered in the open feed');
			expect((await storedEntry())?.status).toBe('out_for_delivery');
			await stack.stopSync();
			expect((await storedEntry())?.status).toBe('delivered');
		} finally {
			orderDoc.destroy();
			board.destroy();
		}
	});
});

describe('an order document that unloads', () => {
	it('writes what its unopened feeds are owed from the document, without loading it again', async () => {
		const [cleo, pavel] = await Promise.all([
			person(unloading, 'customer', 'Carla'),
			person(unloading, 'partner', 'Piet')
		]);
		const orderId = await placeOrder(cleo);
		expect((await claim(pavel, orderId)).status).toBe(200);
		const feeds = [
			feedDocName('partner', pavel.userId),
			feedDocName('customer', cleo.userId),
			feedDocName('admin')
		];
		const storedStatuses = async () =>
			Promise.all(
				feeds.map(
					async (name) =>
						readFeed((await readStored(unloading.database, name)).doc).find((e) => e.id === orderId)
							?.status
				)
			);
		const indexStatus = async () =>
			(await unloading.database.collections.orders.findOne({ _id: orderId }))?.status;
		// the claim is the partner feed's first write: at once
		await eventually(
			async () =>
				(await indexStatus()) === 'accepted' && (await storedStatuses())[0] === 'accepted',
			10_000,
			'the claim in the index and the stored partner feed'
		);

		const orderDoc = await openDoc(unloading, pavel, orderDocName(orderId));
		try {
			appendEvent(
				orderDoc.doc,
				createEvent({ userId: pavel.userId, role: 'partner' }, 'preparing')
			);
			// the batch that wrote the index row left the feeds nobody has open owing the step
			await eventually(async () => (await indexStatus()) === 'preparing', 10_000, 'the index row');
			await new Promise((resolve) => setTimeout(resolve, 300));
			expect(await storedStatuses()).not.toContain('preparing');
			const owed = (await readMetrics(unloading.sync.url)).get('sync_feed_entries_owed');
			expect(owed).toBeGreaterThanOrEqual(2); // the customer's feed and feed/admin at least
		} finally {
			orderDoc.destroy();
		}

		const orderLoads = async () =>
			(await readMetrics(unloading.sync.url)).get('sync_document_loads_total{kind="order"}') ?? 0;
		const loadsBefore = await orderLoads();
		// nobody has the order open now: it unloads after IDLE_UNLOAD_MS and pays its feeds first
		await eventually(
			async () => (await storedStatuses()).every((status) => status === 'preparing'),
			10_000,
			'the step in every stored feed after the order unloaded'
		);
		await new Promise((resolve) => setTimeout(resolve, 2 * IDLE_UNLOAD_MS));
		expect(await orderLoads()).toBe(loadsBefore);
		expect((await readMetrics(unloading.sync.url)).get('sync_open_documents')).toBe(0);
		expect((await readMetrics(unloading.sync.url)).get('sync_feed_entries_owed')).toBe(0);
	});
});
