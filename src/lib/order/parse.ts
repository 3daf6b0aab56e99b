// Reading untrusted JSON (a Yjs value from any replica, a service-channel body) into the order
// document's types: zod schemas for every part, plain records only.
import { z } from 'zod';
import {
	type Assignment,
	EVENT_TYPES,
	EVENT_ID_PATTERN,
	ID_PATTERN,
	MAX_COMMENT_LENGTH,
	MAX_NOTE_LENGTH,
	ORDER_LIMITS,
	type OrderAddress,
	type OrderEvent,
	type OrderMeta,
	PAYMENT_METHODS,
	ROLES,
	type Rating
} from './schema.ts';

const id = z.string().regex(ID_PATTERN);
const isoTime = z.iso.datetime({ offset: true });
const money = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** An ISO 4217 code, the form of one (whether the runtime knows it is the config's concern). */
export const currencyCodeSchema = z.string().regex(/^[A-Z]{3}$/);

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

const roleSchema = z.enum(ROLES);
const eventTypeSchema = z.enum(EVENT_TYPES);

export const orderEventSchema = z.strictObject({
	id: z.string().regex(EVENT_ID_PATTERN),
	type: eventTypeSchema,
	by: id,
	role: roleSchema,
	at: isoTime,
	note: z.string().max(MAX_NOTE_LENGTH).optional()
});

const L = ORDER_LIMITS;

const orderItemSchema = z.object({
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
	currency: currencyCodeSchema.optional(),
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
const ratingSchema = z.object({ stars: starsSchema, comment: commentSchema });

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

/** An address with only its known fields (and no empty note). */
export function cleanAddress(address: OrderAddress): OrderAddress {
	const { street, city, postcode, notes } = address;
	return notes === undefined || notes === ''
		? { street, city, postcode }
		: { street, city, postcode, notes };
}
