// The order document (DESIGN.md "The order document"): one Y.Doc per order, named
// `order/<orderId>`, with four roots. This module names them, reads them back from any replica
// (treating what it finds as untrusted JSON) and writes them. Pure: no I/O.
import * as Y from 'yjs';
import { z } from 'zod';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { foldStatus, type FoldResult, type OrderStatus } from './status.ts';

export const ROLES = ['customer', 'partner', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
	userId: string;
	role: Role;
	name?: string;
}

export interface OrderItem {
	productId: string;
	name: string;
	quantity: number;
	/** Integer minor units. */
	unitPrice: number;
}

export interface OrderAddress {
	street: string;
	city: string;
	postcode: string;
	notes?: string;
}

export const PAYMENT_METHODS = ['cod', 'card', 'upi'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export interface OrderMeta {
	orderId: string;
	items: OrderItem[];
	/** Integer minor units. */
	total: number;
	address: OrderAddress;
	phone: string;
	paymentMethod: PaymentMethod;
	customerId: string;
	customerName: string;
	/** ISO time. */
	createdAt: string;
}

export interface Assignment {
	partnerId: string;
	partnerName: string;
	/** ISO time. */
	claimedAt: string;
}

/** An event's `type` is the status it moves the order to; nothing moves an order to pending. */
export const EVENT_TYPES = [
	'accepted',
	'preparing',
	'out_for_delivery',
	'delivered',
	'cancelled'
] as const satisfies ReadonlyArray<Exclude<OrderStatus, 'pending'>>;
export type EventType = (typeof EVENT_TYPES)[number];

export interface OrderEvent {
	id: string;
	type: EventType;
	/** The user who wrote it; the sync-server checks it is the sender. */
	by: string;
	role: Role;
	/** ISO time, from the author's clock. */
	at: string;
	note?: string;
}

export interface Rating {
	stars: 1 | 2 | 3 | 4 | 5;
	comment: string;
}

export interface OrderView {
	meta: OrderMeta;
	assignment: Assignment | null;
	events: OrderEvent[];
	rating: Rating | null;
	fold: FoldResult;
	status: OrderStatus;
}

// ---- Roots and names ----

export const ROOT_META = 'meta';
export const ROOT_ASSIGNMENT = 'assignment';
export const ROOT_EVENTS = 'events';
export const ROOT_RATING = 'rating';
export const ORDER_ROOTS = [ROOT_META, ROOT_ASSIGNMENT, ROOT_EVENTS, ROOT_RATING] as const;
export type OrderRoot = (typeof ORDER_ROOTS)[number];

export const RATING_KEYS = ['stars', 'comment'] as const;

/** Order, user and event ids: lower-case letters and digits, at most 64. */
export const ID_PATTERN = /^[a-z0-9]{1,64}$/;
export const MAX_NOTE_LENGTH = 500;
export const MAX_COMMENT_LENGTH = 1000;

/** Bounds of an order's fields; order creation must validate against the same numbers. */
export const ORDER_LIMITS = {
	maxLines: 100,
	maxQuantity: 999,
	productId: 64,
	itemName: 200,
	street: 200,
	city: 100,
	postcode: 20,
	addressNotes: MAX_NOTE_LENGTH,
	phone: 32,
	personName: 100
} as const;

export type FeedName = 'admin' | 'open' | 'partner' | 'customer';
export type DocName =
	| { kind: 'order'; orderId: string }
	| { kind: 'feed'; feed: 'admin' }
	| { kind: 'feed'; feed: 'open' }
	| { kind: 'feed'; feed: 'partner'; userId: string }
	| { kind: 'feed'; feed: 'customer'; userId: string };

export function orderDocName(orderId: string): string {
	return `order/${orderId}`;
}

const ORDER_NAME = /^order\/([a-z0-9]{1,64})$/;
const PERSONAL_FEED_NAME = /^feed\/(partner|customer)\/([a-z0-9]{1,64})$/;

/** Parse a document (room) name; null for anything that is not exactly a known shape. */
export function parseDocName(name: string): DocName | null {
	if (typeof name !== 'string' || name.length > 100) return null;
	if (name === 'feed/admin') return { kind: 'feed', feed: 'admin' };
	if (name === 'feed/open') return { kind: 'feed', feed: 'open' };
	const order = ORDER_NAME.exec(name);
	if (order) return { kind: 'order', orderId: order[1] as string };
	const personal = PERSONAL_FEED_NAME.exec(name);
	if (personal) {
		const feed = personal[1] as 'partner' | 'customer';
		return { kind: 'feed', feed, userId: personal[2] as string };
	}
	return null;
}

// ---- Parsing untrusted JSON ----

const id = z.string().regex(ID_PATTERN);
const isoTime = z.iso.datetime({ offset: true });
const money = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * Values decoded from a Yjs update are built by assignment, so a `__proto__` key can give an
 * object a prototype whose properties a schema would read as its own. Only accept plain records.
 */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
	const proto: unknown = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

/** Plain records and arrays all the way down (checked for every event a client writes). */
function plainDeep(value: unknown, depth = 0): boolean {
	if (depth > 8) return false;
	if (Array.isArray(value)) {
		for (const entry of value) if (!plainDeep(entry, depth + 1)) return false;
		return true;
	}
	if (typeof value === 'object' && value !== null) {
		if (!isPlainRecord(value)) return false;
		for (const key in value) {
			if (Object.hasOwn(value, key) && !plainDeep(value[key], depth + 1)) return false;
		}
	}
	return true;
}

export const roleSchema = z.enum(ROLES);
export const eventTypeSchema = z.enum(EVENT_TYPES);

export const orderEventSchema = z.strictObject({
	id,
	type: eventTypeSchema,
	by: id,
	role: roleSchema,
	at: isoTime,
	note: z.string().max(MAX_NOTE_LENGTH).optional()
});

const L = ORDER_LIMITS;

export const orderItemSchema = z.object({
	productId: z.string().min(1).max(L.productId),
	name: z.string().min(1).max(L.itemName),
	quantity: z.number().int().min(1).max(L.maxQuantity),
	unitPrice: money
});

export const orderAddressSchema = z.object({
	street: z.string().min(1).max(L.street),
	city: z.string().min(1).max(L.city),
	postcode: z.string().min(1).max(L.postcode),
	notes: z.string().max(L.addressNotes).optional()
});

export const orderMetaSchema = z.object({
	orderId: id,
	items: z.array(orderItemSchema).min(1).max(L.maxLines),
	total: money,
	address: orderAddressSchema,
	phone: z.string().min(1).max(L.phone),
	paymentMethod: z.enum(PAYMENT_METHODS),
	customerId: id,
	customerName: z.string().max(L.personName),
	createdAt: isoTime
});

export const assignmentSchema = z.object({
	partnerId: id,
	partnerName: z.string().max(L.personName),
	claimedAt: isoTime
});

export const starsSchema = z.union([
	z.literal(1),
	z.literal(2),
	z.literal(3),
	z.literal(4),
	z.literal(5)
]);
export const commentSchema = z.string().max(MAX_COMMENT_LENGTH);
export const ratingSchema = z.object({ stars: starsSchema, comment: commentSchema });

function parseWith<T>(schema: z.ZodType<T>, value: unknown): T | null {
	if (!plainDeep(value)) return null;
	const result = schema.safeParse(value);
	return result.success ? result.data : null;
}

export function parseOrderEvent(value: unknown): OrderEvent | null {
	const event = parseWith(orderEventSchema, value);
	if (event === null) return null;
	// Drop an explicit `note: undefined` so events compare and serialise the same everywhere.
	if (event.note !== undefined || !('note' in event)) return event;
	const { note: _undefined, ...rest } = event;
	return rest;
}

export function parseOrderMeta(value: unknown): OrderMeta | null {
	const meta = parseWith(orderMetaSchema, value);
	return meta === null ? null : { ...meta, address: cleanAddress(meta.address) };
}

export function parseAssignment(value: unknown): Assignment | null {
	return parseWith(assignmentSchema, value);
}

export function parseRating(value: unknown): Rating | null {
	return parseWith(ratingSchema, value);
}

function cleanAddress(address: OrderAddress): OrderAddress {
	const { street, city, postcode, notes } = address;
	return notes === undefined || notes === ''
		? { street, city, postcode }
		: { street, city, postcode, notes };
}

// ---- Readers ----

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

export function readAssignment(doc: Y.Doc): Assignment | null {
	const map = assignmentMap(doc);
	if (map.size === 0) return null;
	return parseAssignment(mapToRecord(map));
}

/** The events in array order; entries that are not valid events are left out. */
export function readEvents(doc: Y.Doc): OrderEvent[] {
	const events: OrderEvent[] = [];
	for (const value of eventsArray(doc).toArray()) {
		const event = parseOrderEvent(value);
		if (event !== null) events.push(event);
	}
	return events;
}

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
export function randomEventId(): string {
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
