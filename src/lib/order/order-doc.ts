// Reading and writing an order's Y.Doc: the four roots by name, each read back as untrusted JSON
// (parse.ts), the whole order as a view with its status fold, and the writers the server and the
// clients use.
import type * as Y from 'yjs';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import {
	cleanAddress,
	parseAssignment,
	parseOrderEvent,
	parseOrderMeta,
	parseRating
} from './parse.ts';
import {
	type Actor,
	type Assignment,
	type EventType,
	type OrderEvent,
	type OrderMeta,
	type OrderView,
	ROOT_ASSIGNMENT,
	ROOT_EVENTS,
	ROOT_META,
	ROOT_RATING,
	type Rating
} from './schema.ts';
import { foldStatus } from './status.ts';

function mapToRecord(map: Y.Map<unknown>): Record<string, unknown> {
	const record: Record<string, unknown> = {};
	for (const [key, value] of map.entries()) record[key] = value;
	return record;
}

export function metaMap(doc: Y.Doc): Y.Map<unknown> {
	return doc.getMap<unknown>(ROOT_META);
}
export function assignmentMap(doc: Y.Doc): Y.Map<unknown> {
	return doc.getMap<unknown>(ROOT_ASSIGNMENT);
}
export function eventsArray(doc: Y.Doc): Y.Array<unknown> {
	return doc.getArray<unknown>(ROOT_EVENTS);
}
export function ratingMap(doc: Y.Doc): Y.Map<unknown> {
	return doc.getMap<unknown>(ROOT_RATING);
}

/** The order's meta, or null until the server has written it (or if it is damaged). */
export function readMeta(doc: Y.Doc): OrderMeta | null {
	const map = metaMap(doc);
	if (map.size === 0) return null;
	return parseOrderMeta(mapToRecord(map));
}

/** @internal for tests: schema.test.ts, tests/integration/orders-claim-cancel.test.ts */
export function readAssignment(doc: Y.Doc): Assignment | null {
	const map = assignmentMap(doc);
	if (map.size === 0) return null;
	return parseAssignment(mapToRecord(map));
}

/**
 * The events in array order; entries that are not valid events are left out.
 * @internal for tests: schema.test.ts, status.test.ts, validate-update.test.ts, tests/integration/sync-relay.test.ts, tests/integration/sync-resync.test.ts
 */
export function readEvents(doc: Y.Doc): OrderEvent[] {
	const events: OrderEvent[] = [];
	for (const value of eventsArray(doc).toArray()) {
		const event = parseOrderEvent(value);
		if (event !== null) events.push(event);
	}
	return events;
}

/** @internal for tests: schema.test.ts */
export function readRating(doc: Y.Doc): Rating | null {
	const map = ratingMap(doc);
	if (map.size === 0) return null;
	return parseRating(mapToRecord(map));
}

export function factsOf(meta: OrderMeta, assignment: Assignment | null) {
	return { customerId: meta.customerId, partnerId: assignment?.partnerId ?? null };
}

/** Everything the UI and the server need about an order, or null until meta exists. */
export function readOrder(doc: Y.Doc): OrderView | null {
	const meta = readMeta(doc);
	if (meta === null) return null;
	const assignment = readAssignment(doc);
	const events = readEvents(doc);
	const fold = foldStatus(events, factsOf(meta, assignment));
	return { meta, assignment, events, rating: readRating(doc), fold, status: fold.status };
}

// ---- Writers ----

/** Server only: write the order's immutable meta, one key per field. */
export function writeMeta(doc: Y.Doc, meta: OrderMeta, origin?: unknown): void {
	const clean: OrderMeta = {
		orderId: meta.orderId,
		items: meta.items.map(({ productId, name, quantity, unitPrice }) => ({
			productId,
			name,
			quantity,
			unitPrice
		})),
		total: meta.total,
		...(meta.currency === undefined ? {} : { currency: meta.currency }),
		address: cleanAddress(meta.address),
		phone: meta.phone,
		paymentMethod: meta.paymentMethod,
		customerId: meta.customerId,
		customerName: meta.customerName,
		createdAt: meta.createdAt
	};
	const map = metaMap(doc);
	doc.transact(() => {
		for (const [key, value] of Object.entries(clean)) map.set(key, value);
	}, origin);
}

/** Server only: record the partner whose claim won. */
export function writeAssignment(doc: Y.Doc, assignment: Assignment, origin?: unknown): void {
	const map = assignmentMap(doc);
	doc.transact(() => {
		map.set('partnerId', assignment.partnerId);
		map.set('partnerName', assignment.partnerName);
		map.set('claimedAt', assignment.claimedAt);
	}, origin);
}

/** Append one event at the end of the log, as a plain JSON object. */
export function appendEvent(doc: Y.Doc, event: OrderEvent, origin?: unknown): void {
	const value: OrderEvent = {
		id: event.id,
		type: event.type,
		by: event.by,
		role: event.role,
		at: event.at
	};
	if (event.note !== undefined) value.note = event.note;
	doc.transact(() => eventsArray(doc).push([value]), origin);
}

/** The customer's rating, both keys in one transaction (the server accepts it only whole). */
export function writeRating(doc: Y.Doc, rating: Rating, origin?: unknown): void {
	const map = ratingMap(doc);
	doc.transact(() => {
		map.set('stars', rating.stars);
		map.set('comment', rating.comment);
	}, origin);
}

/** A random id with 120 bits of entropy (a–z, 2–7); works in browsers and Node. */
function randomEventId(): string {
	const bytes = new Uint8Array(15);
	crypto.getRandomValues(bytes);
	return encodeBase32LowerCaseNoPadding(bytes);
}

export function createEvent(
	actor: Actor,
	type: EventType,
	note?: string,
	now: Date = new Date()
): OrderEvent {
	const event: OrderEvent = {
		id: randomEventId(),
		type,
		by: actor.userId,
		role: actor.role,
		at: now.toISOString()
	};
	if (note !== undefined && note !== '') event.note = note;
	return event;
}
