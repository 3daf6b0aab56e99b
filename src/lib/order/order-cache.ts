// `readOrder` for a document that is read again and again as it grows (the sync-server reads each
// loaded order on every client update, to validate it and to project it). It gives exactly what
// `readOrder` gives, but re-parses only what changed since the last read of the same Y.Doc.
//
// Why the cache cannot go stale: Yjs never mutates the values it holds. Every write, whatever its
// origin, puts new values into new items, and splitting or merging items keeps the same value
// objects. So a part of the document holds the same content as when it was parsed exactly when it
// holds the same values (compared by identity, `===`). Each read compares the roots' current
// values with those it parsed: the maps key by key, the events array position by position (or,
// while nothing was deleted, only where the last value read now is: `onlyAppended`). A
// change anywhere re-parses that root; events appended at the end (the common case) are parsed
// and folded on their own, anything else re-folds the whole log. Event values are parsed once
// per value object, so even a re-fold after an insertion in the middle runs no schema again.
// Observers on the four roots mark which of them changed since the last read, so a read after a
// change to `events` alone does not look at the maps at all, and a read after no change at all
// looks at nothing.
import type * as Y from 'yjs';
import {
	assignmentMap,
	eventsArray,
	factsOf,
	metaMap,
	parseAssignment,
	parseOrderEvent,
	parseOrderMeta,
	parseRating,
	ratingMap,
	type Assignment,
	type OrderEvent,
	type OrderMeta,
	type OrderView,
	type Rating
} from './schema.ts';
import { continueFold, startFold, type FoldState, type OrderFacts } from './status.ts';

/** One map root as last read: the values it held and what they parsed to. */
interface ParsedMap<T> {
	entries: Array<[string, unknown]>;
	value: T | null;
}

interface CacheEntry {
	meta: ParsedMap<OrderMeta>;
	assignment: ParsedMap<Assignment>;
	rating: ParsedMap<Rating>;
	/** The values of `events` as last read, in array order. */
	raw: unknown[];
	/** The valid events among `raw`, in order (what `readEvents` returns). */
	events: OrderEvent[];
	/** The `id` of every value in `raw` that has a string id, valid event or not. */
	ids: Set<string>;
	fold: FoldState;
	foldFacts: OrderFacts | null;
	/** How many of `events` the fold has taken in. */
	folded: number;
	/** The last view handed out; handed out again while nothing changed. */
	view: OrderView | null;
	viewStale: boolean;
	/** Roots changed since they were last compared (set by observers). */
	mapsDirty: boolean;
	eventsDirty: boolean;
	/** A transaction that changed `events` also deleted something since the last read. */
	eventsMayHaveLost: boolean;
}

const entries = new WeakMap<Y.Doc, CacheEntry>();
/** Parse results per event value object (values are immutable, see above). */
const parsedEvents = new WeakMap<object, OrderEvent | null>();

function emptyMap<T>(): ParsedMap<T> {
	return { entries: [], value: null };
}

function sameEntries(map: Y.Map<unknown>, entries: ReadonlyArray<[string, unknown]>): boolean {
	if (map.size !== entries.length) return false;
	for (const [key, value] of entries) {
		if (map.get(key) !== value || !map.has(key)) return false;
	}
	return true;
}

/** Re-reads a map root if its values changed; true if it did. */
function refreshMap<T>(
	map: Y.Map<unknown>,
	parsed: ParsedMap<T>,
	parse: (record: Record<string, unknown>) => T | null
): boolean {
	if (sameEntries(map, parsed.entries)) return false;
	parsed.entries = [...map.entries()];
	if (parsed.entries.length === 0) {
		parsed.value = null;
		return true;
	}
	const record: Record<string, unknown> = {};
	for (const [key, value] of parsed.entries) record[key] = value;
	parsed.value = parse(record);
	return true;
}

function parseEventValue(value: unknown): OrderEvent | null {
	if (typeof value !== 'object' || value === null) return parseOrderEvent(value);
	let event = parsedEvents.get(value);
	if (event === undefined) {
		event = parseOrderEvent(value);
		parsedEvents.set(value, event);
	}
	return event;
}

function rawId(value: unknown): string | null {
	const id = (value as { id?: unknown } | null)?.id;
	return typeof id === 'string' ? id : null;
}

/** Takes in values appended to `events` after those already known. */
function appendEvents(entry: CacheEntry, values: Iterable<unknown>): void {
	for (const value of values) {
		entry.raw.push(value);
		const id = rawId(value);
		if (id !== null) entry.ids.add(id);
		const event = parseEventValue(value);
		if (event !== null) entry.events.push(event);
	}
}

/**
 * Whether `events` only grew at its end since it was last read, without reading it whole: when
 * nothing was deleted, values only ever get inserted, so the last known value is still at its
 * index exactly when nothing was inserted before it (values are distinct objects; a primitive,
 * which could repeat, takes the full comparison).
 */
function onlyAppended(array: Y.Array<unknown>, entry: CacheEntry): boolean {
	const known = entry.raw;
	if (entry.eventsMayHaveLost || known.length === 0 || array.length < known.length) return false;
	const last = known[known.length - 1];
	return typeof last === 'object' && last !== null && array.get(known.length - 1) === last;
}

/** Brings the events of `entry` up to date with the document; true if they changed. */
function refreshEvents(doc: Y.Doc, entry: CacheEntry): boolean {
	const array = eventsArray(doc);
	if (onlyAppended(array, entry)) {
		const length = array.length;
		if (length === entry.raw.length) return false;
		const appended: unknown[] = [];
		for (let i = entry.raw.length; i < length; i++) appended.push(array.get(i));
		appendEvents(entry, appended);
		return true;
	}
	entry.eventsMayHaveLost = false;
	const current = array.toArray();
	const known = entry.raw;
	let common = 0;
	const limit = Math.min(known.length, current.length);
	while (common < limit && known[common] === current[common]) common++;
	if (common === known.length && common === current.length) return false;
	if (common < known.length) {
		// not an append (a concurrent insertion landed before known events): start over
		entry.raw = [];
		entry.events = [];
		entry.ids = new Set();
		entry.fold = startFold();
		entry.folded = 0;
		common = 0;
	}
	appendEvents(entry, current.slice(common));
	return true;
}

function sameFacts(a: OrderFacts | null, b: OrderFacts): boolean {
	return a !== null && a.customerId === b.customerId && a.partnerId === b.partnerId;
}

function refresh(doc: Y.Doc): CacheEntry {
	let entry = entries.get(doc);
	if (entry === undefined) {
		entry = {
			meta: emptyMap(),
			assignment: emptyMap(),
			rating: emptyMap(),
			raw: [],
			events: [],
			ids: new Set(),
			fold: startFold(),
			foldFacts: null,
			folded: 0,
			view: null,
			viewStale: true,
			mapsDirty: true,
			eventsDirty: true,
			eventsMayHaveLost: true
		};
		const created = entry;
		const markMaps = () => (created.mapsDirty = true);
		metaMap(doc).observe(markMaps);
		assignmentMap(doc).observe(markMaps);
		ratingMap(doc).observe(markMaps);
		eventsArray(doc).observe((_event, transaction) => {
			created.eventsDirty = true;
			if (transaction.deleteSet.clients.size > 0) created.eventsMayHaveLost = true;
		});
		entries.set(doc, entry);
	}
	let changed = false;
	if (entry.mapsDirty) {
		entry.mapsDirty = false;
		if (refreshMap(metaMap(doc), entry.meta, parseOrderMeta)) changed = true;
		if (refreshMap(assignmentMap(doc), entry.assignment, parseAssignment)) changed = true;
		if (refreshMap(ratingMap(doc), entry.rating, parseRating)) changed = true;
	}
	if (entry.eventsDirty) {
		entry.eventsDirty = false;
		if (refreshEvents(doc, entry)) changed = true;
	}
	if (changed) entry.viewStale = true;
	return entry;
}

/**
 * The order's meta and assignment, as `readOrderCached` would give them, without building a view:
 * validating an appended event needs only who the customer and the partner are, and a view
 * copies the whole event log (the sync-server validates every update it receives).
 */
export function readOrderHeadCached(
	doc: Y.Doc
): { meta: OrderMeta; assignment: Assignment | null } | null {
	const entry = refresh(doc);
	const meta = entry.meta.value;
	return meta === null ? null : { meta, assignment: entry.assignment.value };
}

/**
 * The same as `readOrder(doc)`, from a cache kept per Y.Doc. The view (and everything in it) is
 * shared between callers and must not be modified; a changed document gives a new view.
 */
export function readOrderCached(doc: Y.Doc): OrderView | null {
	const entry = refresh(doc);
	if (!entry.viewStale) return entry.view;
	entry.viewStale = false;
	const meta = entry.meta.value;
	if (meta === null) {
		entry.view = null;
		return null;
	}
	const assignment = entry.assignment.value;
	const facts = factsOf(meta, assignment);
	if (!sameFacts(entry.foldFacts, facts)) {
		// who the customer and the partner are decides conflicts: fold the whole log again
		entry.fold = startFold();
		entry.folded = 0;
		entry.foldFacts = facts;
	}
	continueFold(entry.fold, entry.events.slice(entry.folded), facts);
	entry.folded = entry.events.length;
	const { status, steps, conflicts, latestEventAt } = entry.fold;
	entry.view = {
		meta,
		assignment,
		events: entry.events.slice(),
		rating: entry.rating.value,
		fold: { status, steps: steps.slice(), conflicts: conflicts.slice(), latestEventAt },
		status
	};
	return entry.view;
}

/** The ids of every value in the document's `events` (valid events or not); do not modify. */
export function knownEventIds(doc: Y.Doc): ReadonlySet<string> {
	return refresh(doc).ids;
}
