// Which local changes the server has confirmed, from state vectors (no guessing).
//
// A Yjs state vector maps each client id to the number of operations of that client a replica
// holds. The server tells us its state vector in every sync step 1 it sends: when a socket opens,
// and (sync-server courtesy) after answering our own step 1 — only once everything it holds is
// durable. Everything in the local document beyond that vector is not on the server yet. An order
// event appended to `events` is one operation, so the difference counts changes.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { fromBase64, toBase64 } from 'lib0/buffer';
import { writeSyncStep1 } from 'y-protocols/sync';
import * as Y from 'yjs';

export type StateVector = Map<number, number>;

/** The larger clock of each client: what a replica that has seen both holds at least. */
export function mergeStateVectors(a: StateVector, b: StateVector): StateVector {
	const merged = new Map(a);
	for (const [client, clock] of b) merged.set(client, Math.max(clock, merged.get(client) ?? 0));
	return merged;
}

/** How many operations `local` holds that `server` does not. */
export function unconfirmedCount(local: StateVector, server: StateVector): number {
	let count = 0;
	for (const [client, clock] of local) count += Math.max(0, clock - (server.get(client) ?? 0));
	return count;
}

export function stateVectorOf(doc: Y.Doc): StateVector {
	return Y.decodeStateVector(Y.encodeStateVector(doc));
}

/** The operations an update carries, as the state vector a replica reaches by applying it. */
export function stateVectorOfUpdate(update: Uint8Array): StateVector {
	return Y.decodeStateVector(Y.encodeStateVectorFromUpdate(update));
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
const MESSAGE_SYNC = 0;
const SYNC_STEP1 = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;

/**
 * What a sync message from the server says the server holds: the state vector of a step 1, or
 * the operations of a step 2 or update. `decoder` is positioned after the message type (as
 * y-websocket's handlers get it) and is not advanced. Null for anything unreadable.
 */
export function peekServerSyncMessage(decoder: decoding.Decoder): StateVector | null {
	try {
		const copy = decoding.clone(decoder);
		const step = decoding.readVarUint(copy);
		const payload = decoding.readVarUint8Array(copy);
		if (step === SYNC_STEP1) return Y.decodeStateVector(payload);
		if (step === SYNC_STEP2 || step === SYNC_UPDATE) return stateVectorOfUpdate(payload);
		return null;
	} catch {
		return null;
	}
}

/** A sync step 1 frame carrying `doc`'s state vector: asks the server for what we lack. */
export function encodeSyncStep1Frame(doc: Y.Doc): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MESSAGE_SYNC);
	writeSyncStep1(encoder, doc);
	return encoding.toUint8Array(encoder);
}
