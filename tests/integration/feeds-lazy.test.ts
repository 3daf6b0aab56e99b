// A feed nobody has open is written at most every SYNC_FEED_LAZY_MS; whoever opens it gets what
// it was owed right away, an open feed follows every batch, and a graceful stop writes the rest
// (sync-server/dispatch/order-projection.ts).
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

let stack: OrderStack;
let customer: Person;
let partner: Person;
let admin: Person;

beforeAll(async () => {
	// longer than the test: anything the partner's feed gets before it is opened was owed
	stack = await startOrderStack('feeds_lazy', { syncEnv: { SYNC_FEED_LAZY_MS: '60000' } });
	[customer, partner, admin] = await Promise.all([
		person(stack, 'customer', 'Cleo'),
		person(stack, 'partner', 'Pavel'),
		person(stack, 'admin', 'Ada')
	]);
});

afterAll(async () => {
	await stack?.stop();
});

describe('a feed nobody has open', () => {
	it('waits, catches up when opened, follows while open, and is written on stop', async () => {
		const orderId = await placeOrder(customer);
		expect((await claim(partner, orderId)).status).toBe(200);
		const partnerFeed = feedDocName('partner', partner.userId);
		const storedEntry = async () =>
			readFeed((await readStored(stack.database, partnerFeed)).doc).find((e) => e.id === orderId);
		const orderDoc = await openDoc(stack, partner, orderDocName(orderId));
		const board = await openDoc(stack, admin, feedDocName('admin'));
		const onBoard = () => readFeed(board.doc).find((entry) => entry.id === orderId);
		const actor = { userId: partner.userId, role: 'partner' as const };
		try {
			// the claim was the partner feed's first write: at once
			await until(board.doc, () => onBoard()?.status === 'accepted', 'accepted on the board');
			await eventually(
				async () => (await storedEntry())?.status === 'accepted',
				10_000,
				'the claim in the stored partner feed'
			);

			// the board (open) shows the next step; the partner's feed (not open) is owed it
			appendEvent(orderDoc.doc, createEvent(actor, 'preparing'));
			await until(board.doc, () => onBoard()?.status === 'preparing', 'preparing on the board');
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
			await until(board.doc, () => onBoard()?.status === 'out_for_delivery', 'on the board');

			// closed again (and written a moment ago): owed once more, until the server stops
			await eventually(
				async () => (await readMetrics(stack.sync.url)).get('sync_connections') === 2,
				10_000,
				'the partner feed closed on the server'
			);
			appendEvent(orderDoc.doc, createEvent(actor, 'delivered'));
			await until(board.doc, () => onBoard()?.status === 'delivered', 'delivered on the board');
			expect((await storedEntry())?.status).toBe('out_for_delivery');
			await stack.stopSync();
			expect((await storedEntry())?.status).toBe('delivered');
		} finally {
			orderDoc.destroy();
			board.destroy();
		}
	});
});
