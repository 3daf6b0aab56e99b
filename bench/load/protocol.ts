// The two wire formats the load generator speaks. Both carry the same y-protocols sync messages;
// Hocuspocus prefixes every frame with the document name (it multiplexes documents on one
// socket) and wants an authentication message before anything else, so that is all that differs.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import type * as Y from 'yjs';

type ReceivedKind = 'sync-step1' | 'sync-step2' | 'update' | 'other';

interface Received {
	kind: ReceivedKind;
	/** What to send back (our step 2 for the server's step 1), if anything. */
	reply: Uint8Array | null;
}

export interface WireProtocol {
	kind: 'y-websocket' | 'hocuspocus';
	url(wsBase: string, docName: string): string;
	/** Frames a client sends as soon as its socket opens. */
	opening(docName: string, doc: Y.Doc): Uint8Array[];
	update(docName: string, update: Uint8Array): Uint8Array;
	/** Applies a server frame to `doc` (with `origin`) and says what it was. */
	receive(frame: Uint8Array, docName: string, doc: Y.Doc, origin: unknown): Received;
}

const SYNC = 0;
const HOCUSPOCUS_AUTH = 2;
const HOCUSPOCUS_SYNC_REPLY = 4;
const HOCUSPOCUS_AUTH_TOKEN = 0;

function kindOf(syncType: number): ReceivedKind {
	switch (syncType) {
		case syncProtocol.messageYjsSyncStep1:
			return 'sync-step1';
		case syncProtocol.messageYjsSyncStep2:
			return 'sync-step2';
		case syncProtocol.messageYjsUpdate:
			return 'update';
		default:
			return 'other';
	}
}

/** Reads one sync message into `doc`; `reply` already holds the frame's prefix. */
function readSync(
	decoder: decoding.Decoder,
	reply: encoding.Encoder,
	doc: Y.Doc,
	origin: unknown
): Received {
	const prefix = encoding.length(reply);
	const syncType = syncProtocol.readSyncMessage(decoder, reply, doc, origin);
	return {
		kind: kindOf(syncType),
		reply: encoding.length(reply) > prefix ? encoding.toUint8Array(reply) : null
	};
}

export const yWebsocketProtocol: WireProtocol = {
	kind: 'y-websocket',
	url: (wsBase, docName) => `${wsBase}/${docName}`,
	opening(_docName, doc) {
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, SYNC);
		syncProtocol.writeSyncStep1(encoder, doc);
		return [encoding.toUint8Array(encoder)];
	},
	update(_docName, update) {
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, SYNC);
		syncProtocol.writeUpdate(encoder, update);
		return encoding.toUint8Array(encoder);
	},
	receive(frame, _docName, doc, origin) {
		const decoder = decoding.createDecoder(frame);
		if (decoding.readVarUint(decoder) !== SYNC) return { kind: 'other', reply: null };
		const reply = encoding.createEncoder();
		encoding.writeVarUint(reply, SYNC);
		return readSync(decoder, reply, doc, origin);
	}
};

const hocuspocusProtocol: WireProtocol = {
	kind: 'hocuspocus',
	// the document name travels in every frame; the path only keeps the URLs alike
	url: (wsBase, docName) => `${wsBase}/${docName}`,
	opening(docName, doc) {
		const auth = encoding.createEncoder();
		encoding.writeVarString(auth, docName);
		encoding.writeVarUint(auth, HOCUSPOCUS_AUTH);
		encoding.writeVarUint(auth, HOCUSPOCUS_AUTH_TOKEN);
		encoding.writeVarString(auth, '');
		const step1 = encoding.createEncoder();
		encoding.writeVarString(step1, docName);
		encoding.writeVarUint(step1, SYNC);
		syncProtocol.writeSyncStep1(step1, doc);
		return [encoding.toUint8Array(auth), encoding.toUint8Array(step1)];
	},
	update(docName, update) {
		const encoder = encoding.createEncoder();
		encoding.writeVarString(encoder, docName);
		encoding.writeVarUint(encoder, SYNC);
		syncProtocol.writeUpdate(encoder, update);
		return encoding.toUint8Array(encoder);
	},
	receive(frame, docName, doc, origin) {
		const decoder = decoding.createDecoder(frame);
		if (decoding.readVarString(decoder) !== docName) return { kind: 'other', reply: null };
		const type = decoding.readVarUint(decoder);
		if (type !== SYNC && type !== HOCUSPOCUS_SYNC_REPLY) return { kind: 'other', reply: null };
		const reply = encoding.createEncoder();
		encoding.writeVarString(reply, docName);
		encoding.writeVarUint(reply, SYNC);
		return readSync(decoder, reply, doc, origin);
	}
};

export function protocolFor(kind: WireProtocol['kind']): WireProtocol {
	return kind === 'hocuspocus' ? hocuspocusProtocol : yWebsocketProtocol;
}
