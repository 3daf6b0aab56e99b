// Write validation: decide, from the raw bytes of a client's Yjs update and the server's current
// document, whether the update may be applied (DESIGN.md "The sync-server", write validation).
//
// The update is decoded, never applied to a copy: `Y.decodeUpdate` yields its structs (items
// with their origins, parent and content) and its delete set. For every struct the server does
// not already have, we work out which root it lands in exactly as Yjs will when it integrates it
// (an item without origins names its parent; otherwise the parent is inherited from the origin,
// else from the right origin; see Item.getMissing in yjs 13), then check the order rules for
// that root. Cost is proportional to the size of the update plus a few lookups in the store.
import * as Y from 'yjs';
import {
	knownEventIds,
	parseEventValue,
	readOrderCached,
	readOrderHeadCached
} from './order-cache.ts';
import { admitEvent } from './admission.ts';
import { foldEvent, type FoldPosition } from './status.ts';
import {
	assignmentMap,
	commentSchema,
	eventsArray,
	metaMap,
	factsOf,
	RATING_KEYS,
	ratingMap,
	ROOT_ASSIGNMENT,
	ROOT_EVENTS,
	ROOT_META,
	ROOT_RATING,
	starsSchema,
	type Actor,
	type OrderView
} from './schema.ts';

/** Yjs client id → the user who writes with it, or SERVER_OWNER. */
export type ClientOwners = Map<number, string>;
export const SERVER_OWNER = 'server';

/**
 * - `malformed`: the bytes are not a well-formed update;
 * - `missing-dependency`: the update builds on content the server does not have (yet);
 * - `forbidden`: the update writes something its sender may not write.
 */
export type RejectionCode = 'malformed' | 'missing-dependency' | 'forbidden';

export type ValidationResult =
	| {
			ok: true;
			newOwners: ReadonlyArray<readonly [clientId: number, ownerUserId: string]>;
			changes: boolean;
	  }
	| { ok: false; reason: string; code: RejectionCode };

export interface ValidationContext {
	actor: Actor;
	clientOwners: ClientOwners;
}

type Rejection = Extract<ValidationResult, { ok: false }>;

function reject(code: RejectionCode, reason: string): Rejection {
	return { ok: false, code, reason };
}

// Reasons are fixed phrases (short enough for a WebSocket close frame, few enough for a metric
// label); the dynamic parts stay in the server's log.
const MALFORMED = reject('malformed', 'malformed update');
const MISSING = reject('missing-dependency', 'missing dependency');
const forbid = (reason: string): Rejection => reject('forbidden', reason);
const NESTED = forbid('nested types are not allowed');
const REMOVED = forbid('refers to removed content');
const DELETES = forbid('deletes are not allowed');
// The usual verdicts, shared (nothing changes a result): most updates add nothing new to own.
const NO_OWNERS: ReadonlyArray<readonly [number, string]> = Object.freeze([]);
const CHANGES: ValidationResult = Object.freeze({ ok: true, newOwners: NO_OWNERS, changes: true });
const NO_CHANGES: ValidationResult = Object.freeze({
	ok: true,
	newOwners: NO_OWNERS,
	changes: false
});

// Content refs (yjs 13 AbstractContent.getRef()).
const REF_DELETED = 1;
const REF_TYPE = 7;
const REF_ANY = 8;
const REF_DOC = 9;

/** Where an item lives: a root type and, for map entries, its key. */
interface Placement {
	readonly root: string;
	readonly sub: string | null;
}

/** The part of one update struct the server does not have yet. */
interface NewPart {
	item: Y.Item;
	/** How many leading elements of the struct the server already has (a resend). */
	offset: number;
	placement: Placement | null;
	visiting: boolean;
}

const ORDER_ROOTS = [ROOT_META, ROOT_ASSIGNMENT, ROOT_EVENTS, ROOT_RATING] as const;

/** The placements of items directly in an order root's list, shared (every append has one). */
const LIST_PLACEMENTS: ReadonlyMap<string, Placement> = new Map(
	ORDER_ROOTS.map((root) => [root, { root, sub: null }])
);

function placementOf(root: string, sub: string | null): Placement {
	return (sub === null ? LIST_PLACEMENTS.get(root) : undefined) ?? { root, sub };
}

function isRejection(value: Placement | Rejection): value is Rejection {
	return 'ok' in value;
}

export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>;

function decode(update: Uint8Array): DecodedUpdate | null {
	try {
		return Y.decodeUpdate(update);
	} catch {
		return null;
	}
}

/**
 * Root type → its name. The order roots are given their types first: a document loaded from an
 * update holds untyped roots until `getMap`/`getArray` replaces them (and re-parents their
 * items), which would leave a map built earlier pointing at the old instances. The map is kept
 * per document (every append is placed through it) and built again when a root appeared or was
 * replaced since.
 */
const rootNamesByDoc = new WeakMap<Y.Doc, Map<Y.AbstractType<unknown>, string>>();

function rootNamesOf(doc: Y.Doc): Map<Y.AbstractType<unknown>, string> {
	const known = rootNamesByDoc.get(doc);
	if (known !== undefined && sameRoots(doc, known)) return known;
	metaMap(doc);
	assignmentMap(doc);
	eventsArray(doc);
	ratingMap(doc);
	const names = new Map<Y.AbstractType<unknown>, string>();
	for (const [name, type] of doc.share) names.set(type as Y.AbstractType<unknown>, name);
	rootNamesByDoc.set(doc, names);
	return names;
}

/**
 * Roots are never removed, and a root is replaced only when it is given a type, which the server
 * does to the four order roots alone: the same count and the same four mean the same roots.
 */
function sameRoots(doc: Y.Doc, names: Map<Y.AbstractType<unknown>, string>): boolean {
	if (names.size !== doc.share.size) return false;
	for (const root of ORDER_ROOTS) {
		if (names.get(doc.share.get(root) as Y.AbstractType<unknown>) !== root) return false;
	}
	return true;
}

/** The placement of an item already integrated in `doc`. */
function placementInDoc(
	item: Y.Item,
	rootNames: Map<Y.AbstractType<unknown>, string>
): Placement | Rejection {
	const parent = item.parent;
	if (!(parent instanceof Y.AbstractType) || parent._item !== null) return NESTED;
	const root = rootNames.get(parent);
	return root === undefined ? MALFORMED : placementOf(root, item.parentSub);
}

/** The struct in the server's store that holds `id` (which must be below the client's state). */
function storedStruct(doc: Y.Doc, id: Y.ID): Y.Item | Y.GC | null {
	const structs = doc.store.clients.get(id.client);
	if (structs === undefined) return null;
	const struct = structs[Y.findIndexSS(structs, id.clock)];
	return struct instanceof Y.Item || struct instanceof Y.GC ? struct : null;
}

/** Every range of the delete set is already deleted in `doc` (honest clients resend theirs). */
function deletesAreKnown(doc: Y.Doc, ds: DecodedUpdate['ds']): boolean {
	for (const [client, deletes] of ds.clients) {
		const structs = doc.store.clients.get(client);
		const state = Y.getState(doc.store, client);
		for (const { clock, len } of deletes) {
			if (len <= 0) continue;
			if (structs === undefined || clock + len > state) return false;
			const end = clock + len;
			for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
				const struct = structs[i] as Y.Item | Y.GC;
				if (struct.id.clock >= end) break;
				if (!struct.deleted) return false;
			}
		}
	}
	return true;
}

/** Facts about the order, read from the server's document at most once per validation. */
class OrderState {
	private view: OrderView | null | undefined;
	private stored: ReadonlySet<string> | undefined;
	/** Ids of the events this update adds, so far. */
	private added: Set<string> | null = null;
	constructor(private readonly doc: Y.Doc) {}

	get order(): OrderView | null {
		if (this.view === undefined) this.view = readOrderCached(this.doc);
		return this.view;
	}

	/** Whether an event (valid or not) with this id is in the server's log or earlier in the update. */
	hasEventId(id: string): boolean {
		this.stored ??= knownEventIds(this.doc);
		return this.stored.has(id) || (this.added?.has(id) ?? false);
	}

	addEventId(id: string): void {
		(this.added ??= new Set()).add(id);
	}
}

/**
 * Check a client's update to an order document against the order rules, before it is applied.
 * Never throws; a rejected update must not be applied, stored or broadcast.
 */
export function validateClientUpdate(
	doc: Y.Doc,
	update: Uint8Array,
	ctx: ValidationContext,
	/** `Y.decodeUpdate(update)` if the caller has it already (it is not decoded again). */
	alreadyDecoded?: DecodedUpdate
): ValidationResult {
	const decoded = alreadyDecoded ?? decode(update);
	if (decoded === null) return MALFORMED;
	try {
		return validateDecoded(doc, decoded, ctx);
	} catch {
		// Decoded values are attacker-controlled; anything unexpected is a refusal, not a crash.
		return MALFORMED;
	}
}

function validateDecoded(
	doc: Y.Doc,
	{ structs, ds }: DecodedUpdate,
	{ actor, clientOwners }: ValidationContext
): ValidationResult {
	const store = doc.store;
	const newOwners: Array<[number, string]> = [];
	const partsByClient = new Map<number, NewPart[]>();
	const parts: NewPart[] = [];

	// 1. Find the new parts: skip what the server has, refuse gaps, GC structs and foreign ids.
	let client = -1;
	let state = 0;
	let expected = 0;
	let clientParts: NewPart[] | undefined;
	for (const struct of structs) {
		if (struct.id.client !== client) {
			client = struct.id.client;
			// Each client appears once in a well-formed update (Yjs would drop all but one).
			if (partsByClient.has(client)) return MALFORMED;
			clientParts = [];
			partsByClient.set(client, clientParts);
			state = Y.getState(store, client);
			expected = state;
		}
		const start = struct.id.clock;
		const end = start + struct.length;
		if (struct instanceof Y.Skip) continue; // carries nothing; a gap after it is caught below
		if (struct.length <= 0) return MALFORMED;
		if (end <= state) continue; // a resend of what the server has
		if (start > expected) return MISSING;
		if (!(struct instanceof Y.Item)) return forbid('garbage-collected structs are not accepted');
		if (clientParts!.length === 0) {
			const owner = clientOwners.get(client);
			if (owner === undefined) newOwners.push([client, actor.userId]);
			else if (owner !== actor.userId) return forbid('client id belongs to another writer');
		}
		const part: NewPart = {
			item: struct,
			offset: Math.max(0, state - start),
			placement: null,
			visiting: false
		};
		clientParts!.push(part);
		parts.push(part);
		expected = end;
	}

	if (parts.length === 0) {
		return deletesAreKnown(doc, ds) ? NO_CHANGES : DELETES;
	}

	// 2. Where does each new item land?
	let rootNames: Map<Y.AbstractType<unknown>, string> | undefined;
	const serverPlacement = (id: Y.ID): Placement | Rejection => {
		const struct = storedStruct(doc, id);
		if (struct === null) return MALFORMED;
		if (!(struct instanceof Y.Item)) return REMOVED;
		rootNames ??= rootNamesOf(doc);
		return placementInDoc(struct, rootNames);
	};
	const partHolding = (id: Y.ID): NewPart | null => {
		const list = partsByClient.get(id.client);
		if (list === undefined) return null;
		let lo = 0;
		let hi = list.length - 1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			const part = list[mid] as NewPart;
			const start = part.item.id.clock + part.offset;
			if (id.clock < start) hi = mid - 1;
			else if (id.clock >= part.item.id.clock + part.item.length) lo = mid + 1;
			else return part;
		}
		return null;
	};
	/** Follow origins until a known placement; memoised, iterative (chains can be long). */
	const resolve = (first: NewPart): Placement | Rejection => {
		const chain: NewPart[] = [];
		let result: Placement | Rejection;
		let part = first;
		for (;;) {
			if (part.placement !== null) {
				result = part.placement;
				break;
			}
			if (part.visiting) {
				result = MISSING; // a cycle of origins can never be integrated
				break;
			}
			part.visiting = true;
			chain.push(part);
			const item = part.item;
			const parent = item.parent as unknown;
			if (parent !== null) {
				result = typeof parent === 'string' ? placementOf(parent, item.parentSub) : NESTED;
				break;
			}
			const ref = item.origin ?? item.rightOrigin;
			if (ref === null) {
				result = MALFORMED;
				break;
			}
			if (ref.client === item.id.client && ref.clock >= item.id.clock) {
				result = MALFORMED; // an item cannot build on itself or on later items
				break;
			}
			if (ref.clock < Y.getState(store, ref.client)) {
				result = serverPlacement(ref);
				break;
			}
			const holder = partHolding(ref);
			if (holder === null) {
				result = MISSING;
				break;
			}
			part = holder;
		}
		for (const visited of chain) {
			visited.visiting = false;
			if (!isRejection(result)) visited.placement = result;
		}
		return result;
	};

	// 3. The rules per root.
	const order = new OrderState(doc);
	let eventParts: NewPart[] | null = null;
	let ratingKeys: Set<string> | null = null;
	for (const part of parts) {
		const placement = resolve(part);
		if (isRejection(placement)) return placement;
		const { item, offset } = part;
		const ref = item.content.getRef();
		if (ref === REF_TYPE || ref === REF_DOC) return NESTED;
		if (ref === REF_DELETED) return DELETES;

		if (offset > 0) {
			// Yjs puts the new part right after the server's item at clock-1 but keeps the parent
			// resolved from the struct's own origin; both must agree or the list is corrupted.
			const left = serverPlacement(Y.createID(item.id.client, item.id.clock + offset - 1));
			if (isRejection(left)) return left;
			if (left.root !== placement.root || left.sub !== placement.sub) return MALFORMED;
		}

		switch (placement.root) {
			case ROOT_META:
				return forbid('meta is written by the server only');
			case ROOT_ASSIGNMENT:
				return forbid('assignment is written by the server only');
			case ROOT_EVENTS: {
				if (placement.sub !== null) return forbid('events is a list, not a map');
				if (item.rightOrigin !== null) return forbid('events are append-only');
				if (ref !== REF_ANY) return forbid('events must be plain JSON objects');
				(eventParts ??= []).push(part);
				break;
			}
			case ROOT_RATING: {
				const key = placement.sub;
				if (key === null || !(RATING_KEYS as readonly string[]).includes(key)) {
					return forbid('rating takes only stars and comment');
				}
				if (item.origin !== null || item.rightOrigin !== null || offset > 0) {
					return forbid('a rating cannot be changed');
				}
				if (ref !== REF_ANY || item.length !== 1) return forbid('rating values must be plain JSON');
				const view = order.order;
				if (view === null) return forbid('the order does not exist yet');
				if (actor.role !== 'customer' || actor.userId !== view.meta.customerId) {
					return forbid('only the customer who placed the order may rate it');
				}
				if (view.status !== 'delivered') return forbid('only a delivered order can be rated');
				if (ratingKeys?.has(key) || ratingMap(doc)._map.has(key)) {
					return forbid('a rating cannot be changed');
				}
				const value: unknown = (item.content as Y.ContentAny).arr[0];
				const schema = key === 'stars' ? starsSchema : commentSchema;
				if (!schema.safeParse(value).success) {
					return forbid(key === 'stars' ? 'stars must be 1 to 5' : 'comment is too long');
				}
				(ratingKeys ??= new Set()).add(key);
				break;
			}
			default:
				return forbid('writes outside the order schema are not allowed');
		}
	}
	if (eventParts !== null) {
		const refusal = admitEvents(doc, order, actor, eventParts);
		if (refusal !== null) return refusal;
	}
	if (ratingKeys !== null) {
		const stored = ratingMap(doc)._map;
		if (RATING_KEYS.some((key) => !ratingKeys.has(key) && !stored.has(key))) {
			return forbid('a rating needs both stars and comment');
		}
	}
	// Checked last so that a forged write gets the more telling reason above (a map overwrite,
	// for instance, also deletes the value it replaces).
	if (!deletesAreKnown(doc, ds)) return DELETES;
	return newOwners.length === 0 ? CHANGES : { ok: true, newOwners, changes: true };
}

const STALE = forbid('the order changed meanwhile');

const idKey = (id: Y.ID | null): string => (id === null ? '' : `${id.client}:${id.clock}`);

/** The id of the last element of the server's `events` list, or null while it is empty. */
function eventsTail(doc: Y.Doc): Y.ID | null {
	let item = eventsArray(doc)._start;
	if (item === null) return null;
	while (item.right !== null) item = item.right;
	return item.lastId;
}

/**
 * The new event items in the order Yjs will put them, if they all land after every event the
 * server holds: one chain that starts at the server's last event (its left origin) and where each
 * item's left origin is the previous item's last element. Null if any would land elsewhere: an
 * item without neighbours lands before existing items whose author has a larger client id, and
 * one whose origin is not the tail lands wherever concurrent items let it.
 */
function appendChain(doc: Y.Doc, parts: readonly NewPart[]): NewPart[] | null {
	const byLeft = new Map<string, NewPart>();
	for (const part of parts) {
		const { item, offset } = part;
		const left = offset > 0 ? Y.createID(item.id.client, item.id.clock + offset - 1) : item.origin;
		const key = idKey(left);
		if (byLeft.has(key)) return null; // two items after one: Yjs orders them by client id
		byLeft.set(key, part);
	}
	const chain: NewPart[] = [];
	let at = idKey(eventsTail(doc));
	for (let part = byLeft.get(at); part !== undefined; part = byLeft.get(at)) {
		chain.push(part);
		at = idKey(part.item.lastId);
	}
	return chain.length === parts.length ? chain : null;
}

/**
 * Every new event, in the order it will stand, checked as the server holds the order when it
 * arrives: authored by the sender, never seen before, and admitted where it lands (admission.ts),
 * each one on top of those before it. Null if all are; else the refusal.
 */
function admitEvents(
	doc: Y.Doc,
	order: OrderState,
	actor: Actor,
	parts: readonly NewPart[]
): Rejection | null {
	const view = order.order;
	if (view === null) return forbid('the order does not exist yet');
	const chain = appendChain(doc, parts);
	const facts = factsOf(view.meta, view.assignment);
	let position: FoldPosition = view.fold;
	// (not at the end: still checked as if it were, so that a forged event gets the telling reason)
	for (const { item, offset } of chain ?? parts) {
		const values = (item.content as Y.ContentAny).arr;
		for (let i = offset; i < values.length; i++) {
			const event = parseEventValue(values[i]);
			if (event === null) return forbid('not a valid order event');
			if (event.by !== actor.userId) return forbid('event author is not the sender');
			if (event.role !== actor.role) return forbid('event role is not the sender role');
			if (order.hasEventId(event.id)) return forbid('duplicate event id');
			const admission = admitEvent(position, facts, actor, event.type);
			if (!admission.ok) return forbid(admission.reason);
			order.addEventId(event.id);
			position = foldEvent(position, event, facts).position;
		}
	}
	return chain === null ? STALE : null;
}

/**
 * Feeds take no client writes: accept only an update that adds nothing the server lacks
 * (an honest client's sync reply), refuse anything else.
 */
export function validateFeedUpdate(
	doc: Y.Doc,
	update: Uint8Array,
	alreadyDecoded?: DecodedUpdate
): ValidationResult {
	const decoded = alreadyDecoded ?? decode(update);
	if (decoded === null) return MALFORMED;
	try {
		for (const struct of decoded.structs) {
			if (struct instanceof Y.Skip) continue;
			if (struct.id.clock + struct.length > Y.getState(doc.store, struct.id.client)) {
				return forbid('feeds are read-only');
			}
		}
		if (!deletesAreKnown(doc, decoded.ds)) return forbid('feeds are read-only');
		return NO_CHANGES;
	} catch {
		return MALFORMED;
	}
}

/**
 * Rebuild the owners of the client ids in a loaded order document: event items belong to the
 * event's author, rating items to the order's customer, everything else (meta, assignment, the
 * server's own client id, anything unattributable) to the server. A client id whose items point
 * to different writers also goes to the server, so nobody may extend it.
 */
export function collectClientOwners(doc: Y.Doc): ClientOwners {
	const owners: ClientOwners = new Map();
	const customerId = readOrderHeadCached(doc)?.meta.customerId ?? null;
	const rootNames = rootNamesOf(doc);
	const claim = (client: number, owner: string) => {
		const previous = owners.get(client);
		if (previous === undefined) owners.set(client, owner);
		else if (previous !== owner) owners.set(client, SERVER_OWNER);
	};
	for (const [client, structs] of doc.store.clients) {
		for (const struct of structs) {
			if (!(struct instanceof Y.Item) || struct.content.getRef() === REF_DELETED) continue;
			const placement = placementInDoc(struct, rootNames);
			const root = isRejection(placement) ? null : placement.root;
			if (root === ROOT_EVENTS && struct.content.getRef() === REF_ANY) {
				for (const value of (struct.content as Y.ContentAny).arr) {
					const by = parseEventValue(value)?.by;
					claim(client, by ?? SERVER_OWNER);
				}
			} else if (root === ROOT_RATING && customerId !== null) {
				claim(client, customerId);
			} else {
				claim(client, SERVER_OWNER);
			}
		}
		if (!owners.has(client)) owners.set(client, SERVER_OWNER);
	}
	owners.set(doc.clientID, SERVER_OWNER);
	return owners;
}

/**
 * For writes the server makes itself (order creation, claims, API cancellations) applied from an
 * update: the client ids that update extends beyond the document's state, which the caller
 * should mark as SERVER_OWNER so that no user can write with them afterwards.
 */
export function serverWriterIds(doc: Y.Doc, update: Uint8Array): number[] {
	const ids: number[] = [];
	try {
		for (const [client, clock] of Y.parseUpdateMeta(update).to) {
			if (clock > Y.getState(doc.store, client)) ids.push(client);
		}
	} catch {
		return [];
	}
	return ids;
}
