// Which of the person's own changes the server has confirmed durable, from state vectors (no
// guessing).
//
// A Yjs state vector maps each client id to the number of operations of that client a replica
// holds. Only the client ids this device wrote with are the person's own (`own`, kept per user
// and document by pending.svelte.ts): content of other writers that reached this copy (the
// server's meta, a partner's step, every entry of a feed) is never "not synced", whatever the
// server has stored of it yet. The server tells us what of ours it holds durably in the step 1
// it appends to every answer to our step 1 (its durable state vector; the step 1 it sends when a
// socket opens is its live state, which may be ahead of what is stored) and by relaying our own
// update back to us once it is stored. Own operations beyond what it confirmed are unsent
// changes: an appended event is one, map entries written together (a rating) are one.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { fromBase64, toBase64 } from 'lib0/buffer';
import { writeSyncStep1 } from 'y-protocols/sync';
import * as Y from 'yjs';
import { MessageType, SyncMessageType } from '../../../sync-server/core/protocol';

export type StateVector = Map<number, number>;

/**
 * Every struct of the `own` client ids that holds content beyond the server's clock for its
 * client, with that clock (a struct may straddle it: only its part from `confirmed` on is new).
 */
function* unconfirmedStructs(
	doc: Y.Doc,
	server: StateVector,
	own: Iterable<number>
): Generator<{ client: number; struct: Y.Item | Y.GC | Y.Skip; confirmed: number }> {
	for (const client of own) {
		const structs = doc.store.clients.get(client);
		if (structs === undefined || structs.length === 0) continue;
		const confirmed = server.get(client) ?? 0;
		const last = structs[structs.length - 1]!;
		if (last.id.clock + last.length <= confirmed) continue;
		for (
			let i = Y.findIndexSS(structs, Math.max(confirmed, structs[0]!.id.clock));
			i < structs.length;
			i++
		) {
			yield { client, struct: structs[i]!, confirmed };
		}
	}
}

/**
 * The ids of the elements of `array` (order events: objects with an `id`) that the `own` client
 * ids wrote beyond the server's clock for them: the person's steps still on this device only.
 */
export function unconfirmedElementIds<T>(
	doc: Y.Doc,
	array: Y.Array<T>,
	server: StateVector,
	own: Iterable<number>
): Set<string> {
	const ids = new Set<string>();
	for (const { struct, confirmed } of unconfirmedStructs(doc, server, own)) {
		if (!(struct instanceof Y.Item) || struct.parent !== array || struct.deleted) continue;
		const values = struct.content.getContent();
		// merged pushes: one struct, one clock per value
		for (let k = Math.max(0, confirmed - struct.id.clock); k < values.length; k++) {
			const id = (values[k] as { id?: unknown } | null)?.id;
			if (typeof id === 'string') ids.add(id);
		}
	}
	return ids;
}

/**
 * The person's changes in `doc` the server has not confirmed: the content of the `own` client ids
 * beyond the server's clock for them. Each array element is one change (an order event); map
 * entries written one after the other into the same map are one change (a rating's stars and
 * comment, written in one transaction).
 */
export function unconfirmedChanges(doc: Y.Doc, server: StateVector, own: Iterable<number>): number {
	let count = 0;
	let lastClient: number | null = null;
	let lastMap: unknown = null;
	let lastEnd = -1;
	for (const { client, struct, confirmed } of unconfirmedStructs(doc, server, own)) {
		if (client !== lastClient) {
			// runs of map entries are counted within one client's structs
			lastClient = client;
			lastMap = null;
			lastEnd = -1;
		}
		const start = Math.max(struct.id.clock, confirmed);
		const end = struct.id.clock + struct.length;
		if (struct instanceof Y.Item && struct.parentSub !== null) {
			if (struct.parent !== lastMap || start !== lastEnd) count++;
			lastMap = struct.parent;
		} else {
			count += end - start;
			lastMap = null;
		}
		lastEnd = end;
	}
	return count;
}

/**
 * What the server is known to hold of `clients` after it sent its durable state vector `durable`:
 * the larger clock of each. Returns the new vector, or null if unchanged.
 */
export function extendByStateVector(
	server: StateVector,
	durable: StateVector,
	clients: ReadonlySet<number>
): StateVector | null {
	let next: StateVector | null = null;
	for (const client of clients) {
		const clock = durable.get(client) ?? 0;
		if (clock > (server.get(client) ?? 0)) {
			next ??= new Map(server);
			next.set(client, clock);
		}
	}
	return next;
}

/** The client ids an update carries content of, with the first and the next clock of each. */
function updateRanges(update: Uint8Array): { from: StateVector; to: StateVector } {
	const { from, to } = Y.parseUpdateMeta(update);
	return { from, to };
}

/**
 * What the server is known to hold after it relayed `update` to us: for each of `clients`, the
 * update's content extends what the server held if it starts at or before that (an own update
 * relayed back comes right after the previous one). Returns the new vector, or null if unchanged.
 */
export function extendByUpdate(
	server: StateVector,
	update: Uint8Array,
	clients: ReadonlySet<number>
): StateVector | null {
	const { from, to } = updateRanges(update);
	let next: StateVector | null = null;
	for (const [client, end] of to) {
		if (!clients.has(client)) continue;
		const held = (next ?? server).get(client) ?? 0;
		if ((from.get(client) ?? 0) <= held && end > held) {
			next ??= new Map(server);
			next.set(client, end);
		}
	}
	return next;
}

export function encodeStoredVector(vector: StateVector): string {
	return toBase64(Y.encodeStateVector(vector));
}

/** The stored form back; an empty vector for anything unreadable. */
export function decodeStoredVector(value: string | null): StateVector {
	if (!value) return new Map();
	try {
		return Y.decodeStateVector(fromBase64(value));
	} catch {
		return new Map();
	}
}

// y-protocols sync: [messageSync=0][step][payload]; a step 1 payload is a state vector, a step 2
// or update payload an update.
export type ServerSyncMessage =
	{ step: 'state'; vector: StateVector } | { step: 'content'; update: Uint8Array };

/**
 * A sync message from the server: the state vector of a step 1 (`state`), or the update of a
 * step 2 or update (`content`). `decoder` is positioned after the message type (as y-websocket's
 * handlers get it) and is not advanced. Null for anything unreadable.
 */
export function readServerSyncMessage(decoder: decoding.Decoder): ServerSyncMessage | null {
	try {
		const copy = decoding.clone(decoder);
		const step = decoding.readVarUint(copy);
		const payload = decoding.readVarUint8Array(copy);
		if (step === SyncMessageType.step1)
			return { step: 'state', vector: Y.decodeStateVector(payload) };
		if (step === SyncMessageType.step2 || step === SyncMessageType.update)
			return { step: 'content', update: payload };
		return null;
	} catch {
		return null;
	}
}

/** A sync step 1 frame carrying `doc`'s state vector: asks the server for what we lack. */
export function encodeSyncStep1Frame(doc: Y.Doc): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.sync);
	writeSyncStep1(encoder, doc);
	return encoding.toUint8Array(encoder);
}
