// An index row's activity fields (updatedAt, conflicts) are written at most every
// SYNC_INDEX_LAZY_MS per order, while status and partner changes are written at once and a
// graceful stop writes whatever is still waiting
// (sync-server/dispatch/projection/deferred-activity.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	appendEvent,
	createEvent,
	feedDocName,
	orderDocName,
	readFeed,
	readOrder
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

const LAZY_MS = 4_000;

let stack: OrderStack;
let customer: Person;
let partner: Person;
let admin: Person;

beforeAll(async () => {
	stack = await startOrderStack('index_activity', {
		syncEnv: { SYNC_INDEX_LAZY_MS: String(LAZY_MS) }
	});
	[customer, partner, admin] = await Promise.all([
		person(stack, 'customer', 'Cleo'),
		person(stack, 'partner', 'Pavel'),
		person(stack, 'admin', 'Ada')
	]);
});

afterAll(async () => {
	await stack?.stop();
});

const indexRow = (orderId: string) => stack.database.collections.orders.findOne({ _id: orderId });

describe('the index row of an order that keeps changing', () => {
	it('writes status at once, activity at most every SYNC_INDEX_LAZY_MS, and the rest on stop', async () => {
		const orderId = await placeOrder(customer);
		expect((await claim(partner, orderId)).status).toBe(200);
		const orderDoc = await openDoc(stack, partner, orderDocName(orderId));
		// a feed that keeps finished orders (the board holds active ones only)
		const board = await openDoc(stack, customer, feedDocName('customer', customer.userId));
		const actor = { userId: partner.userId, role: 'partner' as const };
		const onBoard = () => readFeed(board.doc).find((entry) => entry.id === orderId);
		try {
			// a status change is written at once
			expect((await admin.api.post(`/api/orders/${orderId}/cancel`)).status).toBe(200);
			await eventually(
				async () => (await indexRow(orderId))?.status === 'cancelled',
				10_000,
				'cancelled in the index'
			);
			await until(board.doc, () => onBoard()?.status === 'cancelled', 'cancelled on the board');
			await until(
				orderDoc.doc,
				() => readOrder(orderDoc.doc)?.status === 'cancelled',
				'cancel seen by the partner'
			);
			const cancelledAt = (await indexRow(orderId))!.updatedAt.getTime();

			// the partner's step after the cancel (a fact from the field) does not apply: only the
			// conflict count and the activity move
			appendEvent(orderDoc.doc, createEvent(actor, 'preparing'));
			await until(board.doc, () => onBoard()?.conflicts === 1, 'the conflict on the board');
			// the board has it (the batch ran), the index row waits
			const waiting = (await indexRow(orderId))!;
			expect(waiting.conflicts).toBe(0);
			expect(waiting.updatedAt.getTime()).toBe(cancelledAt);
			const waitingSince = Date.now();
			await eventually(
				async () => (await indexRow(orderId))?.conflicts === 1,
				LAZY_MS + 10_000,
				'the conflict in the index'
			);
			expect(Date.now() - waitingSince).toBeGreaterThan(LAZY_MS / 2);
			expect((await indexRow(orderId))!.updatedAt.getTime()).toBeGreaterThan(cancelledAt);
			expect((await indexRow(orderId))!.status).toBe('cancelled');

			// activity still waiting when the server stops is written by the stop
			appendEvent(orderDoc.doc, createEvent(actor, 'out_for_delivery'));
			await until(board.doc, () => onBoard()?.conflicts === 2, 'the second conflict');
			expect((await indexRow(orderId))!.conflicts).toBe(1);
			await stack.stopSync();
			expect((await indexRow(orderId))!.conflicts).toBe(2);
		} finally {
			orderDoc.destroy();
			board.destroy();
		}
	});
});
