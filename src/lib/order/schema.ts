// The order document's vocabulary (docs/architecture.md, "The order document"): one Y.Doc per
// order, named `order/<orderId>`, with four roots. This module names them and their types, the
// ids and limits, and the document names; parse.ts reads untrusted JSON into these types, and
// order-doc.ts reads and writes the roots of a Y.Doc. Pure: no I/O.
import type { FoldResult, OrderStatus } from './status.ts';

export const ROLES = ['customer', 'partner', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** The roles people give themselves at sign-up; admins are made by admins or the admin CLI. */
export const SELF_SERVICE_ROLES = ['customer', 'partner'] as const satisfies readonly Role[];
export type SelfServiceRole = (typeof SELF_SERVICE_ROLES)[number];

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

/** What each payment method is, for people: every one of them is paid when the order arrives. */
export const PAYMENT_LABELS: Record<PaymentMethod, string> = {
	cod: 'Cash on delivery',
	card: 'Card on delivery',
	upi: 'UPI on delivery'
};

/** How the customer pays the partner, inside a sentence: "Paid by card on delivery." */
export const PAYMENT_HOW: Record<PaymentMethod, string> = {
	cod: 'in cash',
	card: 'by card',
	upi: 'by UPI'
};

/** What a delivery partner rides or drives. */
export const VEHICLES = ['bicycle', 'motorbike', 'car', 'van'] as const;
export type Vehicle = (typeof VEHICLES)[number];

export interface OrderMeta {
	orderId: string;
	items: OrderItem[];
	/** Integer minor units. */
	total: number;
	/**
	 * ISO 4217 code of every amount of the order: the shop's currency when it was placed. Absent
	 * from orders stored before orders carried it; those are in the shop's currency.
	 */
	currency?: string;
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

export const RATING_KEYS = ['stars', 'comment'] as const;

/**
 * Order and user ids: 1–64 lower-case letters and digits. They are made only by the server and
 * appear in document names (`order/<id>`, `feed/customer/<id>`), so they stay this narrow.
 */
export const ID_PATTERN = /^[a-z0-9]{1,64}$/;
/**
 * Event ids are made by whoever writes the event, so other clients' usual ids fit: 1–64 of
 * `A–Z a–z 0–9 _ -`. That takes today's ids (base32), standard UUIDs in either case
 * (`crypto.randomUUID()`, 36 characters), ULIDs and nanoids. Two ids are the same only if they
 * are equal strings; an event id appears in no document name, key or URL.
 */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_NOTE_LENGTH = 500;
export const MAX_COMMENT_LENGTH = 1000;

/**
 * Text-direction controls (U+061C, U+200E/F, U+202A–E, U+2066–9): invisible, they reorder how what
 * follows them is shown, so one person's note could read differently to the next ("Trojan
 * Source"). New notes and comments may not carry them (the write validator, the API); other
 * invisible characters stay allowed in free text, where the zero-width joiners hold emoji and
 * scripts together.
 */
const TEXT_DIRECTION_CHARS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

export function hasTextDirectionChars(text: string): boolean {
	TEXT_DIRECTION_CHARS.lastIndex = 0;
	return TEXT_DIRECTION_CHARS.test(text);
}

/** `text` without its text-direction controls (what a form writes when someone pastes them). */
export function withoutTextDirectionChars(text: string): string {
	return text.replace(TEXT_DIRECTION_CHARS, '');
}

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

/** What one new order may hold: the order API refuses more and the cart stops there. */
export const MAX_ORDER_LINES = 50;
export const MAX_LINE_QUANTITY = 50;

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
