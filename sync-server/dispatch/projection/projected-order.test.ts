import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	appendEvent,
	createEvent,
	feedDocName,
	writeAssignment
} from '../../../src/lib/order/index.ts';
import { PEOPLE, serverDoc, type ServerDocOptions } from '../../../src/lib/order/test-fixtures.ts';
import { SyncDocument } from '../../core/document.ts';
import { readProjectedOrder } from './projected-order.ts';

function loaded(options?: ServerDocOptions): SyncDocument {
	const document = new SyncDocument('order/ord1', { durableReplica: false });
	Y.applyUpdate(document.doc, Y.encodeStateAsUpdate(serverDoc(options)));
	return document;
}

const admin = feedDocName('admin');
const open = feedDocName('open');
const customer = feedDocName('customer', PEOPLE.customer.userId);
const partner = feedDocName('partner', PEOPLE.partner.userId);

describe('readProjectedOrder', () => {
	it('nothing while the document has no meta', () => {
		expect(readProjectedOrder('ord1', loaded({ noMeta: true }))).toBeNull();
	});

	it('an open order belongs in feed/open; once claimed it may have to leave it', () => {
		const document = loaded();
		const pending = readProjectedOrder('ord1', document)!;
		expect(pending).toMatchObject({ orderId: 'ord1', document, failed: false });
		expect(pending.view.status).toBe('pending');
		expect([...pending.member].sort()).toEqual([admin, customer, open].sort());
		expect([...pending.candidates].sort()).toEqual([admin, customer, open].sort());

		const at = new Date('2025-01-01T10:05:00.000Z');
		writeAssignment(document.doc, {
			partnerId: PEOPLE.partner.userId,
			partnerName: PEOPLE.partner.name,
			claimedAt: at.toISOString()
		});
		appendEvent(document.doc, createEvent(PEOPLE.partner, 'accepted', undefined, at));
		const claimed = readProjectedOrder('ord1', document)!;
		expect([...claimed.member].sort()).toEqual([admin, customer, partner].sort());
		expect([...claimed.candidates].sort()).toEqual([admin, customer, open, partner].sort());
	});

	it('works the feeds out again only when what decides them changed', () => {
		const document = loaded({ claimed: true });
		const first = readProjectedOrder('ord1', document)!;
		appendEvent(document.doc, createEvent(PEOPLE.partner, 'preparing'));
		const second = readProjectedOrder('ord1', document)!;
		expect(second.view.status).toBe('preparing');
		expect(second.member).toBe(first.member);
		expect(second.candidates).toBe(first.candidates);
		// each read is an order of its own batch
		expect(second).not.toBe(first);
		// another document of the same order has its own
		expect(readProjectedOrder('ord1', loaded({ claimed: true }))!.member).not.toBe(first.member);
	});
});
