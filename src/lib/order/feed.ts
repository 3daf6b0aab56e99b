// Feeds (docs/architecture.md, "Feeds"): read-only Y.Docs the sync-server maintains so that one socket carries
// a whole board. Each has one root, a Y.Map `orders`: orderId → FeedEntry (plain JSON).
import * as Y from 'yjs';
import { z } from 'zod';
import { ID_PATTERN, ORDER_LIMITS, type OrderAddress, type OrderView } from './schema.ts';
import { currencyCodeSchema, orderAddressSchema } from './parse.ts';
import { isLaterTime, ORDER_STATUSES, type OrderStatus } from './status.ts';

const FEED_ROOT = 'orders';

export type FeedKind = 'admin' | 'open' | 'partner' | 'customer';

export interface FeedEntry {
	id: string;
	status: OrderStatus;
	total: number;
	/** The order's currency (OrderMeta.currency), when it records one. */
	currency?: string;
	itemCount: number;
	items: Array<{ name: string; quantity: number }>;
	city: string;
	createdAt: string;
	updatedAt: string;
	customerId: string;
	customerName: string;
	partnerId: string | null;
	partnerName: string | null;
	/** Events that did not apply where they landed (flagged on the admin board). */
	conflicts: number;
	/** Stars of the customer's rating, once rated. */
	rating: number | null;
	/**
	 * Only in the personal feeds (`feed/partner/<id>`, `feed/customer/<id>`): partners see only
	 * the city before they claim, and the board shows no addresses (an order's page has them).
	 */
	address?: OrderAddress;
	phone?: string;
}

export function feedDocName(feed: 'admin' | 'open'): string;
export function feedDocName(feed: 'partner' | 'customer', userId: string): string;
export function feedDocName(feed: FeedKind, userId?: string): string {
	if (feed === 'admin' || feed === 'open') return `feed/${feed}`;
	if (userId === undefined || !ID_PATTERN.test(userId)) throw new Error('feed needs a user id');
	return `feed/${feed}/${userId}`;
}

const activityTimes = new WeakMap<OrderView, string>();

/** When the order last changed: its newest event, its claim or its creation (an ISO time). */
export function lastActivityAt(view: OrderView): string {
	let at = activityTimes.get(view);
	if (at === undefined) {
		// (the fold keeps the newest event's time as it takes events in: no scan per change)
		at = view.meta.createdAt;
		const { latestEventAt } = view.fold;
		if (latestEventAt !== null && isLaterTime(latestEventAt, at)) at = latestEventAt;
		if (view.assignment && isLaterTime(view.assignment.claimedAt, at))
			at = view.assignment.claimedAt;
		activityTimes.set(view, at);
	}
	return at;
}

/**
 * Entries already built per view (views are immutable; a changed document gives a new one). The
 * server puts one order into up to three feeds and its index per change: one build, not four.
 */
const builtEntries = new WeakMap<OrderView, { full?: FeedEntry; board?: FeedEntry }>();

/** Feeds whose entries carry the address and phone: the people delivering and receiving it. */
const withContact = (feed: FeedKind) => feed === 'partner' || feed === 'customer';

/**
 * The entry an order shows in `feed`; `open` and `admin` leave out the phone and all of the
 * address but the city (a partner sees them once they claim; the board keeps 2,000 orders
 * small, an order's page has them). Shared by every caller with the same view: do not modify it.
 */
export function feedEntryFor(view: OrderView, feed: FeedKind): FeedEntry {
	let built = builtEntries.get(view);
	if (built === undefined) builtEntries.set(view, (built = {}));
	const key = withContact(feed) ? 'full' : 'board';
	return (built[key] ??= buildFeedEntry(view, feed));
}

function buildFeedEntry(view: OrderView, feed: FeedKind): FeedEntry {
	const { meta, assignment, rating, fold } = view;
	const entry: FeedEntry = {
		id: meta.orderId,
		status: view.status,
		total: meta.total,
		...(meta.currency === undefined ? {} : { currency: meta.currency }),
		itemCount: meta.items.reduce((sum, item) => sum + item.quantity, 0),
		items: meta.items.map((item) => ({ name: item.name, quantity: item.quantity })),
		city: meta.address.city,
		createdAt: meta.createdAt,
		updatedAt: lastActivityAt(view),
		customerId: meta.customerId,
		customerName: meta.customerName,
		partnerId: assignment?.partnerId ?? null,
		partnerName: assignment?.partnerName ?? null,
		conflicts: fold.conflictCount,
		rating: rating?.stars ?? null
	};
	if (withContact(feed)) {
		entry.address = { ...meta.address };
		entry.phone = meta.phone;
	}
	return entry;
}

/** The feed documents an order belongs in now. */
export function feedsForOrder(view: OrderView): string[] {
	const names = [feedDocName('admin')];
	if (view.status === 'pending' && view.assignment === null) names.push(feedDocName('open'));
	if (view.assignment !== null) names.push(feedDocName('partner', view.assignment.partnerId));
	names.push(feedDocName('customer', view.meta.customerId));
	return names;
}

/** The kind of feed a feed doc name denotes ('feed/partner/x' → 'partner'). */
export function feedKindOf(docName: string): FeedKind | null {
	const match = /^feed\/(admin|open|partner|customer)(?:\/|$)/.exec(docName);
	return match ? (match[1] as FeedKind) : null;
}

const id = z.string().regex(ID_PATTERN);
const personName = z.string().max(ORDER_LIMITS.personName);

const feedEntrySchema = z.object({
	id,
	status: z.enum(ORDER_STATUSES),
	total: z.number().int().min(0),
	currency: currencyCodeSchema.optional(),
	itemCount: z.number().int().min(0),
	items: z.array(
		z.object({ name: z.string().max(ORDER_LIMITS.itemName), quantity: z.number().int().min(0) })
	),
	city: z.string().max(ORDER_LIMITS.city),
	createdAt: z.string(),
	updatedAt: z.string(),
	customerId: id,
	customerName: personName,
	partnerId: id.nullable(),
	partnerName: personName.nullable(),
	conflicts: z.number().int().min(0),
	rating: z.number().int().min(1).max(5).nullable(),
	address: orderAddressSchema.optional(),
	phone: z.string().max(ORDER_LIMITS.phone).optional()
});

export function feedMap(doc: Y.Doc): Y.Map<unknown> {
	return doc.getMap<unknown>(FEED_ROOT);
}

function parseFeedEntry(value: unknown): FeedEntry | null {
	const result = feedEntrySchema.safeParse(value);
	return result.success ? (result.data as FeedEntry) : null;
}

/**
 * Entries already parsed, by the value Yjs holds for them: a Y.Map gives back the same object
 * until the entry is written again, so re-reading a feed of 2,000 orders after a change parses
 * only what changed (and unchanged entries stay the same objects, which keyed lists skip).
 */
const parsedEntries = new WeakMap<object, { entry: FeedEntry | null; createdMs: number }>();

/** The feed's entries, newest first. */
export function readFeed(doc: Y.Doc): FeedEntry[] {
	const read: Array<{ entry: FeedEntry; createdMs: number }> = [];
	for (const value of feedMap(doc).values()) {
		let parsed = typeof value === 'object' && value !== null ? parsedEntries.get(value) : undefined;
		if (parsed === undefined) {
			const entry = parseFeedEntry(value);
			parsed = { entry, createdMs: entry ? Date.parse(entry.createdAt) : 0 };
			if (typeof value === 'object' && value !== null) parsedEntries.set(value, parsed);
		}
		if (parsed.entry !== null) read.push(parsed as { entry: FeedEntry; createdMs: number });
	}
	read.sort((a, b) => b.createdMs - a.createdMs || (a.entry.id < b.entry.id ? -1 : 1));
	return read.map(({ entry }) => entry);
}

/** Server only: put (or replace) an order's entry; skipped when nothing changed. */
export function writeFeedEntry(doc: Y.Doc, entry: FeedEntry, origin?: unknown): boolean {
	const map = feedMap(doc);
	if (sameJson(map.get(entry.id), entry)) return false;
	doc.transact(() => map.set(entry.id, entry), origin);
	return true;
}

/** Server only: take an order out of a feed (e.g. claimed orders leave `feed/open`). */
export function removeFeedEntry(doc: Y.Doc, orderId: string, origin?: unknown): boolean {
	const map = feedMap(doc);
	if (!map.has(orderId)) return false;
	doc.transact(() => map.delete(orderId), origin);
	return true;
}

function sameJson(a: unknown, b: unknown): boolean {
	return JSON.stringify(a) === JSON.stringify(b);
}
