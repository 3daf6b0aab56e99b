// What a raw Yjs update adds to a document, and where each new item lands — worked out from the
// bytes, never by applying them to a copy. Pure Yjs, no order rules: `validate-update.ts` builds
// the order's write rules on top.
//
// `Y.decodeUpdate` yields the update's structs (items with their origins, parent and content)
// and its delete set. For every struct the server does not already have, the root it lands in is
// found exactly as Yjs will find it when it integrates it (an item without origins names its
// parent; otherwise the parent is inherited from the origin, else from the right origin; see
// Item.getMissing in yjs 13). Cost is proportional to the size of the update plus a few lookups
// in the store.
import * as Y from 'yjs';
import { ORDER_ROOTS } from './schema.ts';
import { assignmentMap, eventsArray, metaMap, ratingMap } from './order-doc.ts';

export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>;

/**
 * - `malformed`: the bytes are not a well-formed update;
 * - `missing-dependency`: the update builds on content the server does not have (yet);
 * - `forbidden`: the update writes something its sender may not write.
 */
type RejectionCode = 'malformed' | 'missing-dependency' | 'forbidden';

export interface Rejection {
	ok: false;
	reason: string;
	code: RejectionCode;
}

function reject(code: RejectionCode, reason: string): Rejection {
	return { ok: false, code, reason };
}

// Reasons are fixed phrases (short enough for a WebSocket close frame, few enough for a metric
// label); the dynamic parts stay in the server's log.
export const MALFORMED = reject('malformed', 'malformed update');
const MISSING = reject('missing-dependency', 'missing dependency');
export const forbid = (reason: string): Rejection => reject('forbidden', reason);
const NESTED = forbid('nested types are not allowed');
const REMOVED = forbid('refers to removed content');
export const DELETES = forbid('deletes are not allowed');

/** Content refs (yjs 13 AbstractContent.getRef()). */
export const REF_DELETED = 1;
const REF_TYPE = 7;
export const REF_ANY = 8;
const REF_DOC = 9;

/** Where an item lives: a root type and, for map entries, its key. */
export interface Placement {
	readonly root: string;
	readonly sub: string | null;
}

/** The part of one update struct the server does not have yet. */
export interface NewPart {
	item: Y.Item;
	/** How many leading elements of the struct the server already has (a resend). */
	offset: number;
	placement: Placement | null;
	visiting: boolean;
}

/** The placements of items directly in an order root's list, shared (every append has one). */
const LIST_PLACEMENTS: ReadonlyMap<string, Placement> = new Map(
	ORDER_ROOTS.map((root) => [root, { root, sub: null }])
);

function placementOf(root: string, sub: string | null): Placement {
	return (sub === null ? LIST_PLACEMENTS.get(root) : undefined) ?? { root, sub };
}

export function isRejection(value: object): value is Rejection {
	return 'ok' in value && (value as { ok: unknown }).ok === false;
}

export function decodeUpdate(update: Uint8Array): DecodedUpdate | null {
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

export function rootNamesOf(doc: Y.Doc): Map<Y.AbstractType<unknown>, string> {
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
export function placementInDoc(
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
export function deletesAreKnown(doc: Y.Doc, ds: DecodedUpdate['ds']): boolean {
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

/** The parts of an update the server lacks, and the client ids it would give their first writer. */
export interface NewParts {
	parts: NewPart[];
	byClient: Map<number, NewPart[]>;
	newOwners: Array<[clientId: number, writer: string]>;
}

/**
 * The parts of `structs` the server does not have: resends are skipped; gaps, garbage-collected
 * structs and writes with a client id that belongs to someone else (per `owners`) are refused.
 */
export function findNewParts(
	doc: Y.Doc,
	structs: DecodedUpdate['structs'],
	owners: ReadonlyMap<number, string>,
	writer: string
): NewParts | Rejection {
	const store = doc.store;
	const newOwners: Array<[number, string]> = [];
	const byClient = new Map<number, NewPart[]>();
	const parts: NewPart[] = [];
	let client = -1;
	let state = 0;
	let expected = 0;
	let clientParts: NewPart[] | undefined;
	for (const struct of structs) {
		if (struct.id.client !== client) {
			client = struct.id.client;
			// Each client appears once in a well-formed update (Yjs would drop all but one).
			if (byClient.has(client)) return MALFORMED;
			clientParts = [];
			byClient.set(client, clientParts);
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
			const owner = owners.get(client);
			if (owner === undefined) newOwners.push([client, writer]);
			else if (owner !== writer) return forbid('client id belongs to another writer');
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
	return { parts, byClient, newOwners };
}

/**
 * Works out where every new part lands (`part.placement`), and refuses nested types, deleted
 * content and a resend whose new part would land elsewhere than the item it continues.
 */
export function placeParts(doc: Y.Doc, { parts, byClient }: NewParts): Rejection | null {
	const store = doc.store;
	let rootNames: Map<Y.AbstractType<unknown>, string> | undefined;
	const serverPlacement = (id: Y.ID): Placement | Rejection => {
		const struct = storedStruct(doc, id);
		if (struct === null) return MALFORMED;
		if (!(struct instanceof Y.Item)) return REMOVED;
		rootNames ??= rootNamesOf(doc);
		return placementInDoc(struct, rootNames);
	};
	const partHolding = (id: Y.ID): NewPart | null => {
		const list = byClient.get(id.client);
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
	}
	return null;
}

const idKey = (id: Y.ID | null): string => (id === null ? '' : `${id.client}:${id.clock}`);

/** The id of the last element of a root list (deleted or not), or null while it is empty. */
function listTail(list: Y.Array<unknown>): Y.ID | null {
	let item = list._start;
	if (item === null) return null;
	while (item.right !== null) item = item.right;
	return item.lastId;
}

/**
 * The new items of `list` in the order Yjs will put them, if they all land after every item the
 * server holds: one chain that starts at the list's last item (its left origin) and where each
 * item's left origin is the previous item's last element. Null if any would land elsewhere: an
 * item without neighbours lands before existing items whose author has a larger client id, and
 * one whose origin is not the tail lands wherever concurrent items let it.
 */
export function appendChain(list: Y.Array<unknown>, parts: readonly NewPart[]): NewPart[] | null {
	const byLeft = new Map<string, NewPart>();
	for (const part of parts) {
		const { item, offset } = part;
		const left = offset > 0 ? Y.createID(item.id.client, item.id.clock + offset - 1) : item.origin;
		const key = idKey(left);
		if (byLeft.has(key)) return null; // two items after one: Yjs orders them by client id
		byLeft.set(key, part);
	}
	const chain: NewPart[] = [];
	let at = idKey(listTail(list));
	for (let part = byLeft.get(at); part !== undefined; part = byLeft.get(at)) {
		chain.push(part);
		at = idKey(part.item.lastId);
	}
	return chain.length === parts.length ? chain : null;
}
