// The sync-server keeps the index row it last wrote per loaded order and updates it with a
// guarded write (sync-server/dispatch/projection/index-writer.ts). When the web app writes the
// row in between (a late `$set` of a claim, a cancellation), the guard must notice and the
// projection must fall back to reading the row, so the index still ends up as the document says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	appendEvent,
	createEvent,
	feedDocName,
	orderDocName,
	readFeed
} from '../../src/lib/order/index.ts';
import { eventually } from '../support/sync-clients.ts';
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

beforeAll(async () => {
	stack = await startOrderStack('projection_cache');
	[customer, partner] = await Promise.all([
		person(stack, 'customer', 'Cleo'),
		person(stack, 'partner', 'Pavel')
	]);
});

afterAll(async () => {
	await stack?.stop();
});

async function indexRow(orderId: string) {
	return stack.database.collections.orders.findOne({ _id: orderId });
}

describe('the projection with a remembered index row', () => {
	it('notices a row the web app wrote meanwhile and projects from a fresh read', async () => {
		const orderId = await placeOrder(customer);
		expect((await claim(partner, orderId)).status).toBe(200);
		const orderDoc = await openDoc(stack, partner, orderDocName(orderId));
		const board = await openDoc(stack, customer, feedDocName('customer', customer.userId));
		try {
			const actor = { userId: partner.userId, role: 'partner' as const };
			appendEvent(orderDoc.doc, createEvent(actor, 'preparing'));
			await eventually(
				async () => (await indexRow(orderId))?.status === 'preparing',
				10_000,
				'preparing in the index'
			);

			// another writer puts an older status into the row (as a claim's late $set can)
			await stack.database.collections.orders.updateOne(
				{ _id: orderId },
				{ $set: { status: 'accepted' } }
			);
			appendEvent(orderDoc.doc, createEvent(actor, 'out_for_delivery'));
			await eventually(
				async () => (await indexRow(orderId))?.status === 'out_for_delivery',
				10_000,
				'out_for_delivery in the index'
			);

			// and the same once more with the partner taken out of the row
			await stack.database.collections.orders.updateOne(
				{ _id: orderId },
				{ $set: { partnerId: null, partnerName: null } }
			);
			appendEvent(orderDoc.doc, createEvent(actor, 'delivered'));
			await eventually(
				async () => {
					const row = await indexRow(orderId);
					return row?.status === 'delivered' && row.partnerId === partner.userId;
				},
				10_000,
				'delivered, with its partner, in the index'
			);
			const row = (await indexRow(orderId))!;
			expect(row.partnerName).toBe(partner.name);
			expect(row.deliveredAt).toBeInstanceOf(Date);
			await until(
				board.doc,
				() => readFeed(board.doc).find((entry) => entry.id === orderId)?.status === 'delivered',
				'delivered in the customer’s feed'
			);
		} finally {
			orderDoc.destroy();
			board.destroy();
		}
	});
});
