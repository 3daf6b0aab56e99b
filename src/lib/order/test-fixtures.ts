// Shared fixtures for tests of the order domain (and of code built on it): the people of one
// order, its meta, real Y.Docs for a server and its clients, and capture of the exact update a
// client would send. Used only by tests.
import * as Y from 'yjs';
import { type Actor, type EventType, type OrderEvent, type OrderMeta } from './schema.ts';
import { appendEvent, createEvent, writeAssignment, writeMeta } from './order-doc.ts';

export const PEOPLE = {
	customer: { userId: 'cust1', role: 'customer', name: 'Cora Customer' },
	otherCustomer: { userId: 'cust2', role: 'customer', name: 'Otto Other' },
	partner: { userId: 'part1', role: 'partner', name: 'Pia Partner' },
	otherPartner: { userId: 'part2', role: 'partner', name: 'Paul Rival' },
	admin: { userId: 'adm1', role: 'admin', name: 'Ada Admin' }
} as const satisfies Record<string, Actor>;

export type Person = keyof typeof PEOPLE;

const ORDER_ID = 'ord1';

export function sampleMeta(overrides: Partial<OrderMeta> = {}): OrderMeta {
	return {
		orderId: ORDER_ID,
		items: [
			{ productId: 'margherita', name: 'Margherita', quantity: 2, unitPrice: 1250 },
			{ productId: 'lemonade', name: 'Lemonade', quantity: 1, unitPrice: 400 }
		],
		total: 2900,
		address: { street: '1 Long Road', city: 'Springfield', postcode: '12345', notes: 'Ring twice' },
		phone: '+1 555 0100',
		paymentMethod: 'cod',
		customerId: PEOPLE.customer.userId,
		customerName: PEOPLE.customer.name,
		createdAt: '2025-01-01T10:00:00.000Z',
		...overrides
	};
}

export interface ServerDocOptions {
	/** Claimed by PEOPLE.partner (assignment + server-written accepted event). */
	claimed?: boolean;
	/** Events appended after the claim, each by the assigned partner unless admin cancels. */
	then?: EventType[];
	/** Leave the document without meta (an order that does not exist yet). */
	noMeta?: boolean;
}

/** A document as the server holds it; all server writes use the doc's own client id. */
export function serverDoc(options: ServerDocOptions = {}): Y.Doc {
	const doc = new Y.Doc();
	if (!options.noMeta) writeMeta(doc, sampleMeta());
	if (options.claimed) {
		const at = new Date('2025-01-01T10:05:00.000Z');
		writeAssignment(doc, {
			partnerId: PEOPLE.partner.userId,
			partnerName: PEOPLE.partner.name,
			claimedAt: at.toISOString()
		});
		appendEvent(doc, createEvent(PEOPLE.partner, 'accepted', undefined, at));
	}
	let minute = 10;
	for (const type of options.then ?? []) {
		const author = type === 'cancelled' ? PEOPLE.admin : PEOPLE.partner;
		appendEvent(
			doc,
			createEvent(author, type, undefined, new Date(Date.UTC(2025, 0, 1, 10, minute++)))
		);
	}
	return doc;
}

/** A client replica that has synced everything the server has. */
export function replicaOf(source: Y.Doc): Y.Doc {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, Y.encodeStateAsUpdate(source));
	return doc;
}

/** The update a connected client sends for the local changes `change` makes. */
export function captureUpdate(doc: Y.Doc, change: (doc: Y.Doc) => void): Uint8Array {
	const updates: Uint8Array[] = [];
	const listener = (update: Uint8Array) => updates.push(update);
	doc.on('update', listener);
	try {
		change(doc);
	} finally {
		doc.off('update', listener);
	}
	if (updates.length === 0) throw new Error('the change produced no update');
	return updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates);
}

export function eventBy(person: Person, type: EventType, at?: Date): OrderEvent {
	return createEvent(PEOPLE[person], type, undefined, at);
}
