// The y-websocket wire protocol (y-protocols sync + awareness), decoded strictly: anything that is
// not exactly one well-formed message is a ProtocolError that closes only the sending socket.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { CloseCode } from './close-codes.ts';

/** The y-websocket message types, and the y-protocols sync steps inside a sync message. */
export const MessageType = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3 } as const;
export const SyncMessageType = { step1: 0, step2: 1, update: 2 } as const;

export type ClientMessage =
	| { type: 'sync-step1'; stateVector: Uint8Array }
	| { type: 'sync-step2'; update: Uint8Array }
	| { type: 'sync-update'; update: Uint8Array }
	| { type: 'awareness'; update: Uint8Array }
	| { type: 'query-awareness' };

export class ProtocolError extends Error {
	constructor(
		public readonly closeCode: typeof CloseCode.protocolError | typeof CloseCode.unsupportedData,
		message: string
	) {
		super(message);
		this.name = 'ProtocolError';
	}
}

const malformed = (what: string) => new ProtocolError(CloseCode.protocolError, `malformed ${what}`);

function readBytes(decoder: decoding.Decoder, what: string): Uint8Array {
	try {
		return decoding.readVarUint8Array(decoder);
	} catch {
		throw malformed(what);
	}
}

function readUint(decoder: decoding.Decoder, what: string): number {
	try {
		return decoding.readVarUint(decoder);
	} catch {
		throw malformed(what);
	}
}

function expectEnd(decoder: decoding.Decoder, what: string) {
	if (decoding.hasContent(decoder)) throw malformed(`${what} (trailing bytes)`);
}

/** Decodes one frame sent by a client. Sync payloads are checked further by the caller. */
export function decodeClientMessage(frame: Uint8Array): ClientMessage {
	const decoder = decoding.createDecoder(frame);
	const type = readUint(decoder, 'message');
	switch (type) {
		case MessageType.sync: {
			const step = readUint(decoder, 'sync message');
			const payload = readBytes(decoder, 'sync message');
			expectEnd(decoder, 'sync message');
			if (step === SyncMessageType.step1) {
				try {
					Y.decodeStateVector(payload);
				} catch {
					throw malformed('state vector');
				}
				return { type: 'sync-step1', stateVector: payload };
			}
			if (step === SyncMessageType.step2) return { type: 'sync-step2', update: payload };
			if (step === SyncMessageType.update) return { type: 'sync-update', update: payload };
			throw new ProtocolError(CloseCode.unsupportedData, 'unknown sync message type');
		}
		case MessageType.awareness: {
			const update = readBytes(decoder, 'awareness message');
			expectEnd(decoder, 'awareness message');
			return { type: 'awareness', update };
		}
		case MessageType.queryAwareness:
			expectEnd(decoder, 'query-awareness message');
			return { type: 'query-awareness' };
		default:
			throw new ProtocolError(CloseCode.unsupportedData, 'unsupported message type');
	}
}

export interface AwarenessEntry {
	clientId: number;
	clock: number;
	/** The parsed JSON state; null means "this client left". */
	state: unknown;
	/** The state's size on the wire, in bytes: its JSON in UTF-8 and that length's prefix. */
	size: number;
}

/** Decodes an awareness update fully (so it can be checked before it is applied). */
export function decodeAwarenessUpdate(update: Uint8Array, maxEntries: number): AwarenessEntry[] {
	const decoder = decoding.createDecoder(update);
	const count = readUint(decoder, 'awareness update');
	if (count > maxEntries) throw malformed('awareness update (too many clients)');
	const entries: AwarenessEntry[] = [];
	for (let i = 0; i < count; i++) {
		const clientId = readUint(decoder, 'awareness update');
		const clock = readUint(decoder, 'awareness update');
		let json: string;
		const start = decoder.pos;
		try {
			json = decoding.readVarString(decoder);
		} catch {
			throw malformed('awareness update');
		}
		let state: unknown;
		try {
			state = JSON.parse(json);
		} catch {
			throw malformed('awareness state (not JSON)');
		}
		if (state !== null && (typeof state !== 'object' || Array.isArray(state))) {
			throw malformed('awareness state (not an object)');
		}
		entries.push({ clientId, clock, state, size: decoder.pos - start });
	}
	expectEnd(decoder, 'awareness update');
	return entries;
}

export function encodeAwarenessEntries(
	entries: ReadonlyArray<Omit<AwarenessEntry, 'size'>>
): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, entries.length);
	for (const entry of entries) {
		encoding.writeVarUint(encoder, entry.clientId);
		encoding.writeVarUint(encoder, entry.clock);
		encoding.writeVarString(encoder, JSON.stringify(entry.state));
	}
	return encoding.toUint8Array(encoder);
}

function frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
	const encoder = encoding.createEncoder();
	write(encoder);
	return encoding.toUint8Array(encoder);
}

/** Step 1 with a document's state vector, or with a state vector kept as a map. */
export const encodeSyncStep1 = (state: Y.Doc | Map<number, number>) =>
	frame((e) => {
		encoding.writeVarUint(e, MessageType.sync);
		encoding.writeVarUint(e, SyncMessageType.step1);
		encoding.writeVarUint8Array(e, Y.encodeStateVector(state));
	});

export const encodeSyncStep2 = (doc: Y.Doc, stateVector?: Uint8Array) =>
	frame((e) => {
		encoding.writeVarUint(e, MessageType.sync);
		encoding.writeVarUint(e, SyncMessageType.step2);
		encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(doc, stateVector));
	});

export const encodeSyncUpdate = (update: Uint8Array) =>
	frame((e) => {
		encoding.writeVarUint(e, MessageType.sync);
		encoding.writeVarUint(e, SyncMessageType.update);
		encoding.writeVarUint8Array(e, update);
	});

export const encodeAwarenessMessage = (update: Uint8Array) =>
	frame((e) => {
		encoding.writeVarUint(e, MessageType.awareness);
		encoding.writeVarUint8Array(e, update);
	});

/** The update `Y.encodeStateAsUpdate` produces when there is nothing to send: no structs, no deletes. */
export function isEmptyUpdate(update: Uint8Array): boolean {
	return update.length === 2 && update[0] === 0 && update[1] === 0;
}
