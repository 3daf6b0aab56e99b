// Rebasing a refused copy: when the sync-server refuses a write (close 4403), this device's copy
// of the order holds content the server will never take, so the copy is dropped and synced afresh.
// What the person did on this device is not lost with it: their own events and rating are taken
// out first and written again on top of the server's state, each one only if the same admission
// the server applies lets it in now (an offline step that is still legal keeps its original time;
// a cancel that a claim overtook is dropped, with the reason).
import * as Y from 'yjs';
import {
	actionLabel,
	admitEvent,
	appendEvent,
	factsOf,
	mayRate,
	parseOrderEvent,
	parseRating,
	readOrder,
	writeRating,
	type OrderEvent,
	type Rating
} from '$lib/order';

/** The person's own writes in a copy of an order: what a rebase carries over. */
export interface OwnWrites {
	events: OrderEvent[];
	rating: Rating | null;
}

interface DroppedWrite {
	/** What it was, for people ("Mark delivered", "Rating"). */
	what: string;
	reason: string;
}

export interface RebaseResult {
	/** Events written again (the server will check them once more). */
	reapplied: OrderEvent[];
	ratingReapplied: boolean;
	dropped: DroppedWrite[];
}

export const NO_WRITES: OwnWrites = Object.freeze({ events: [], rating: null });

/** `userId`'s events (in document order) and, if they placed the order, its rating. */
export function ownWrites(doc: Y.Doc, userId: string): OwnWrites {
	const view = readOrder(doc);
	if (view === null) return NO_WRITES;
	const events = view.events.filter((event) => event.by === userId);
	const rating = view.meta.customerId === userId ? view.rating : null;
	return { events, rating };
}

export function hasWrites(writes: OwnWrites): boolean {
	return writes.events.length > 0 || writes.rating !== null;
}

/**
 * Writes `writes` into `doc` (a fresh copy, synced with the server) where they are still
 * admitted, in their original order; events the server already has are skipped. Returns what was
 * written and what was dropped and why.
 */
export function reapplyWrites(doc: Y.Doc, userId: string, writes: OwnWrites): RebaseResult {
	const result: RebaseResult = { reapplied: [], ratingReapplied: false, dropped: [] };
	let view = readOrder(doc);
	if (view === null) {
		for (const event of writes.events) {
			result.dropped.push({ what: actionLabel(event.type), reason: 'the order is not available' });
		}
		return result;
	}
	const known = new Set(view.events.map((event) => event.id));
	for (const event of writes.events) {
		if (known.has(event.id)) continue; // the server took it after all
		const admission = admitEvent(
			view.fold,
			factsOf(view.meta, view.assignment),
			{ userId, role: event.role },
			event.type
		);
		if (!admission.ok) {
			result.dropped.push({ what: actionLabel(event.type), reason: admission.reason });
			continue;
		}
		appendEvent(doc, event);
		result.reapplied.push(event);
		view = readOrder(doc)!;
	}
	const rating = writes.rating;
	if (rating !== null && !sameRating(view.rating, rating)) {
		if (mayRate({ userId, role: 'customer' }, view)) {
			writeRating(doc, rating);
			result.ratingReapplied = true;
		} else {
			result.dropped.push({
				what: 'Rating',
				reason: view.rating !== null ? 'the order was already rated' : 'the order is not delivered'
			});
		}
	}
	return result;
}

function sameRating(a: Rating | null, b: Rating): boolean {
	return a !== null && a.stars === b.stars && a.comment === b.comment;
}

/** Own writes as JSON, kept while a rebase waits for the server (a reload must not lose them). */
export function serializeWrites(writes: OwnWrites): string {
	return JSON.stringify(writes);
}

export function parseWrites(text: string | null): OwnWrites {
	if (text === null) return NO_WRITES;
	try {
		const value = JSON.parse(text) as { events?: unknown; rating?: unknown };
		const events = Array.isArray(value.events) ? value.events.map(parseOrderEvent) : [];
		return {
			events: events.filter((event): event is OrderEvent => event !== null),
			rating: value.rating == null ? null : parseRating(value.rating)
		};
	} catch {
		return NO_WRITES;
	}
}
