// `readOrder` for a document that is read again and again as it grows (the sync-server reads each
// loaded order on every client update, to validate it and to project it). It gives exactly what
// `readOrder` gives, but re-parses only what changed since the last read of the same Y.Doc.
//
// Why the cache cannot go stale: Yjs never mutates the values it holds. Every write, whatever its
// origin, puts new values into new items, and splitting or merging items keeps the same value
// objects. So a part of the document holds the same content as when it was parsed exactly when it
// holds the same values (compared by identity, `===`). Each read compares the roots' current
// values with those it parsed: the maps key by key, the events array by walking only the items
// after the last value read, while nothing was deleted (`appendedValues`), else position by
// position. A change anywhere re-parses that root; events appended at the end (the common case)
// are parsed and folded on their own, anything else re-folds the whole log, reusing what each
// value object parsed to, so even a re-fold after an insertion in the middle runs no schema again.
// An event the write validation has just parsed is not parsed again either (`parseEventValue`).
// Observers on the four roots mark which of them changed since the last read, so a read after a
// change to `events` alone does not look at the maps at all, and a read after no change at all
// looks at nothing.
//
// One module though longer than the others: its parts (the map roots, the walk over appended
// events, the fold, the views) share one invariant — values compared by identity — and one entry
// per document; apart, each would have to re-establish both.
import type * as Y from 'yjs';
import {
	type Assignment,
	type OrderEvent,
	type OrderMeta,
	type OrderView,
	type Rating
} from './schema.ts';
import { parseAssignment, parseOrderEvent, parseOrderMeta, parseRating } from './parse.ts';
import { assignmentMap, eventsArray, factsOf, metaMap, ratingMap } from './order-doc.ts';
import {
	continueFold,
	startFold,
	type FoldResult,
	type FoldState,
	type FoldStep,
	type OrderFacts,
	type OrderStatus
} from './status.ts';

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
	/** What each value of `raw` parsed to. */
	parsed: Array<OrderEvent | null>;
	/** The valid events among `raw`, in order (what `readEvents` returns). */
	events: OrderEvent[];
	/** The item of `events` that held the last value of `raw` when it was read, and how many
	 * values it held then (see appendedValues). */
	lastItem: Y.Item | null;
	lastItemValues: number;
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
/**
 * Events parsed lately, by id. Write validation parses each event of a client's update before Yjs
 * applies it, and Yjs decodes the update again into new objects with the same content: the cache
 * then takes the event without running the schema a second time (see parseEventValue).
 */
const recentEvents = new Map<string, OrderEvent>();
const RECENT_EVENTS = 1024;

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

/** Whether `value` holds exactly the fields of `event`, own and plain (so it parses to it). */
function sameEventContent(value: object, event: OrderEvent): boolean {
	if (value === event) return true;
	if (Object.getPrototypeOf(value) !== Object.prototype) return false;
	// (counted with for-in rather than Object.keys: this runs for every event taken in)
	const record = value as Record<string, unknown>;
	let count = 0;
	for (const key in record) {
		if (!Object.hasOwn(record, key) || record[key] !== event[key as keyof OrderEvent]) return false;
		count++;
	}
	for (const key in event) if (Object.hasOwn(event, key)) count--;
	return count === 0;
}

/**
 * `parseOrderEvent`, skipping the schema for a value with the same content as an event parsed
 * lately (every field is a string, so equal content parses to an equal event). A value that is
 * exactly its event (the usual case) is returned itself: the cache then holds one object per
 * event, the document's, not a parsed copy beside it. The event is shared with other callers and
 * may be the document's own value: do not modify it.
 */
export function parseEventValue(value: unknown): OrderEvent | null {
	const id = rawId(value);
	if (id !== null) {
		const known = recentEvents.get(id);
		if (known !== undefined && sameEventContent(value as object, known)) {
			// taken: an entry that stayed would live long enough for the GC to promote it
			recentEvents.delete(id);
			return value as OrderEvent;
		}
	}
	const event = parseOrderEvent(value);
	if (event === null) return null;
	// forgetting all at once is enough (an event is looked up again within the same update) and
	// cheaper than evicting the oldest one by one
	if (recentEvents.size >= RECENT_EVENTS) recentEvents.clear();
	recentEvents.set(event.id, event);
	return sameEventContent(value as object, event) ? (value as OrderEvent) : event;
}

function rawId(value: unknown): string | null {
	const id = (value as { id?: unknown } | null)?.id;
	return typeof id === 'string' ? id : null;
}

/**
 * Takes in values appended to `events` after those already known; `earlier` has the parse results
 * of values read before (a re-read after an insertion parses only what is new).
 */
function appendEvents(
	entry: CacheEntry,
	values: Iterable<unknown>,
	earlier?: ReadonlyMap<unknown, OrderEvent | null>
): void {
	for (const value of values) {
		entry.raw.push(value);
		const id = rawId(value);
		if (id !== null) entry.ids.add(id);
		const event = earlier?.has(value) ? earlier.get(value)! : parseEventValue(value);
		entry.parsed.push(event);
		if (event !== null) entry.events.push(event);
	}
}

/**
 * The values appended to `events` since it was last read, or null when the array changed in any
 * other way (then it is read whole). Cost is proportional to what was appended, not to the length
 * of the log: the walk starts at the item that held the last value read (Yjs keeps a list's items
 * as a linked list) and the array's length, which Yjs maintains, tells whether anything landed
 * before it. While nothing is deleted, values are only ever inserted, so the known values are
 * still the array's prefix exactly when the length grew by what lies after them. Yjs may merge
 * a later item of the same writer into the one that held the last value (its values then grow)
 * or split it when something is inserted inside it (they shrink: read whole).
 */
function appendedValues(array: Y.Array<unknown>, entry: CacheEntry): unknown[] | null {
	if (entry.eventsMayHaveLost) return null;
	const appended: unknown[] = [];
	let item: Y.Item | null;
	let lastItem = entry.lastItem;
	let lastItemValues = entry.lastItemValues;
	if (lastItem === null) {
		if (entry.raw.length > 0) return null;
		item = array._start;
	} else {
		if (lastItem.deleted) return null;
		const values = lastItem.content.getContent();
		if (values.length < lastItemValues) return null;
		for (let i = lastItemValues; i < values.length; i++) appended.push(values[i]);
		lastItemValues = values.length;
		item = lastItem.right;
	}
	for (; item !== null; item = item.right) {
		if (item.deleted || !item.countable) continue;
		const values = item.content.getContent();
		for (const value of values) appended.push(value);
		lastItem = item;
		lastItemValues = values.length;
	}
	if (array.length !== entry.raw.length + appended.length) return null;
	entry.lastItem = lastItem;
	entry.lastItemValues = lastItemValues;
	return appended;
}

/** The item holding the array's last value, and how many values it holds (see appendedValues). */
function lastValueItem(array: Y.Array<unknown>): { item: Y.Item | null; values: number } {
	for (let item = array._start, last: Y.Item | null = null; ; item = item.right) {
		if (item === null) return { item: last, values: last?.content.getContent().length ?? 0 };
		if (!item.deleted && item.countable) last = item;
	}
}

/** Brings the events of `entry` up to date with the document; true if they changed. */
function refreshEvents(doc: Y.Doc, entry: CacheEntry): boolean {
	const array = eventsArray(doc);
	const appended = appendedValues(array, entry);
	if (appended !== null) {
		if (appended.length === 0) return false;
		appendEvents(entry, appended);
		return true;
	}
	entry.eventsMayHaveLost = false;
	const current = array.toArray();
	const last = lastValueItem(array);
	entry.lastItem = last.item;
	entry.lastItemValues = last.values;
	const known = entry.raw;
	let common = 0;
	const limit = Math.min(known.length, current.length);
	while (common < limit && known[common] === current[common]) common++;
	if (common === known.length && common === current.length) return false;
	let earlier: Map<unknown, OrderEvent | null> | undefined;
	if (common < known.length) {
		// not an append (a concurrent insertion landed before known events): start over, with
		// what was parsed before (values are immutable, see the header)
		earlier = new Map();
		for (let i = 0; i < known.length; i++) {
			if (typeof known[i] === 'object') earlier.set(known[i], entry.parsed[i] ?? null);
		}
		entry.raw = [];
		entry.parsed = [];
		entry.events = [];
		entry.ids = new Set();
		entry.fold = startFold();
		entry.folded = 0;
		common = 0;
	}
	appendEvents(entry, current.slice(common), earlier);
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
			parsed: [],
			lastItem: null,
			lastItemValues: 0,
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
	entry.view = new SnapshotView(entry, meta, assignment);
	return entry.view;
}

/**
 * A view of the entry as it is now. Its lists are copied only when a reader asks for them: the
 * sync-server reads a view on every change and mostly needs its status and counts, and copying
 * the whole log each time made garbage in proportion to the log's length. The copies stay exact
 * because the cache only ever appends to the lists it holds (a re-read or re-fold starts new
 * lists instead), so their first `n` entries never change.
 *
 * Classes with getters on the prototype, not object literals with getters: a literal's getters
 * are new functions for every view, and views live long enough (until the order's next change)
 * for the GC to promote them (docs/performance.md, "Why it is built this way").
 */
class SnapshotView implements OrderView {
	readonly rating: Rating | null;
	readonly fold: SnapshotFold;
	readonly status: OrderStatus;
	readonly #events: OrderEvent[];
	readonly #eventCount: number;
	#eventsCopy: OrderEvent[] | undefined;
	constructor(
		entry: CacheEntry,
		readonly meta: OrderMeta,
		readonly assignment: Assignment | null
	) {
		this.rating = entry.rating.value;
		this.fold = new SnapshotFold(entry.fold);
		this.status = entry.fold.status;
		this.#events = entry.events;
		this.#eventCount = entry.events.length;
	}
	get events(): OrderEvent[] {
		return (this.#eventsCopy ??= this.#events.slice(0, this.#eventCount));
	}
}

/** The fold of a `SnapshotView`, its lists copied the same way. */
class SnapshotFold implements FoldResult {
	readonly status: OrderStatus;
	readonly progress: OrderStatus;
	readonly conflictCount: number;
	readonly latestEventAt: string | null;
	readonly #steps: FoldStep[];
	readonly #stepCount: number;
	readonly #conflicts: FoldStep[];
	#stepsCopy: FoldStep[] | undefined;
	#conflictsCopy: FoldStep[] | undefined;
	constructor(fold: FoldState) {
		this.status = fold.status;
		this.progress = fold.progress;
		this.conflictCount = fold.conflicts.length;
		this.latestEventAt = fold.latestEventAt;
		this.#steps = fold.steps;
		this.#stepCount = fold.steps.length;
		this.#conflicts = fold.conflicts;
	}
	get steps(): FoldStep[] {
		return (this.#stepsCopy ??= this.#steps.slice(0, this.#stepCount));
	}
	get conflicts(): FoldStep[] {
		return (this.#conflictsCopy ??= this.#conflicts.slice(0, this.conflictCount));
	}
}

/** The ids of every value in the document's `events` (valid events or not); do not modify. */
export function knownEventIds(doc: Y.Doc): ReadonlySet<string> {
	return refresh(doc).ids;
}
