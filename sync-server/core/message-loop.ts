// The y-protocols message loop of one socket: sync step 1 answered from the room, every update
// (sync step 2 or update) validated by the extensions before it is applied, awareness relayed
// for the client ids the socket speaks for. A socket's messages are handled strictly in order.
import type { RawData } from 'ws';
import { applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode } from './close-codes.ts';
import type { Connection } from './connection.ts';
import {
	decodeAwarenessUpdate,
	decodeClientMessage,
	encodeAwarenessEntries,
	encodeAwarenessMessage,
	isEmptyUpdate,
	ProtocolError,
	type AwarenessEntry
} from './protocol.ts';
import type { CoreParts, Principal } from './types.ts';
import { TokenBucket } from './token-bucket.ts';

/** A sanity bound on one awareness message (stock clients relay the whole room's presence). */
const MAX_AWARENESS_ENTRIES = 10_000;

function toBytes(data: RawData): Uint8Array {
	// always a private copy: ws may hand out views into pooled buffers, and Yjs keeps references
	if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
	if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
	return new Uint8Array(data);
}

export class MessageLoop<P extends Principal> {
	constructor(private readonly options: CoreParts<P>) {}

	onMessage(conn: Connection<P>, data: RawData, isBinary: boolean): void {
		conn.alive = true;
		if (conn.closed) return;
		this.options.metrics.messages.inc();
		if (!conn.rate.take()) {
			conn.reject('rate_limit', CloseCode.policyViolation, 'rate limit');
			return;
		}
		if (!isBinary) {
			conn.reject(
				'unsupported_message',
				CloseCode.unsupportedData,
				'text frames are not supported'
			);
			return;
		}
		try {
			this.handleMessage(conn, toBytes(data));
		} catch (error) {
			if (error instanceof ProtocolError) {
				const kind =
					error.closeCode === CloseCode.protocolError ? 'malformed_message' : 'unsupported_message';
				conn.reject(kind, error.closeCode, error.message);
			} else {
				this.options.log.error(
					{ err: error, conn: conn.id, doc: conn.document.name },
					'message handling failed'
				);
				conn.reject('malformed_message', CloseCode.internalError, 'internal error');
			}
		}
	}

	private handleMessage(conn: Connection<P>, frame: Uint8Array): void {
		const message = decodeClientMessage(frame);
		const document = conn.document;
		switch (message.type) {
			case 'sync-step1':
				this.answerStep1(conn, message.stateVector);
				return;
			case 'sync-step2':
			case 'sync-update':
				this.handleUpdate(conn, message.update);
				return;
			case 'awareness':
				this.handleAwareness(conn, message.update);
				return;
			case 'query-awareness': {
				const present = [...document.awareness.getStates().keys()];
				conn.send(encodeAwarenessMessage(encodeAwarenessUpdate(document.awareness, present)));
				return;
			}
		}
	}

	/** Sends the client what it lacks, of what is durable (see SyncDocument.durable). */
	private answerStep1(conn: Connection<P>, stateVector: Uint8Array): void {
		let reply: Uint8Array;
		try {
			// with relay on accept the room already has what is not durable yet: so do newcomers
			reply = conn.document.syncStep2(stateVector);
		} catch {
			throw new ProtocolError(CloseCode.protocolError, 'malformed state vector');
		}
		conn.send(reply);
		// Courtesy: the durable state vector too, so a client can count its changes the server has
		// not confirmed (src/lib/sync/state-vector.ts). A stock client answers with a step 2 of
		// what the server lacks, normally empty (ignored).
		conn.send(conn.document.durableSyncStep1());
	}

	private handleUpdate(conn: Connection<P>, update: Uint8Array): void {
		if (isEmptyUpdate(update)) return;
		const document = conn.document;
		let decoded;
		try {
			// the whole update must decode before anything looks at it or applies it: Yjs applies
			// the structs before it reads the delete set, so a bad tail could leave half an update
			decoded = Y.decodeUpdate(update);
		} catch {
			throw new ProtocolError(CloseCode.protocolError, 'malformed update');
		}
		let verdict;
		try {
			verdict = this.options.hooks.validateUpdate(document, update, conn, decoded);
		} catch (error) {
			this.options.log.info({ err: error, conn: conn.id }, 'update validation threw');
			verdict = { ok: false as const, reason: 'malformed update' };
		}
		if (!verdict.ok && 'resync' in verdict) {
			this.options.metrics.rejections.inc({ reason: 'resync_requested' });
			conn.send(document.syncStep1());
			return;
		}
		if (!verdict.ok) {
			conn.reject('write_rejected', CloseCode.writeRefused, verdict.reason, verdict.reason);
			return;
		}
		if (verdict.changes === false) return;
		if (
			document.approxBytes + update.length > this.options.limits.maxDocumentBytes &&
			document.exactBytes() + update.length > this.options.limits.maxDocumentBytes
		) {
			conn.reject('document_too_large', CloseCode.documentTooLarge, 'document too large');
			return;
		}
		Y.applyUpdate(document.doc, update, conn);
		verdict.commit?.();
	}

	/**
	 * Awareness is presence, relayed to everyone in the room. A socket speaks only for the client
	 * ids it claimed: those in its first awareness message (y-websocket sends its own state first),
	 * or ids the room has never seen. Stock clients also relay everyone else's states back to the
	 * server; those entries are dropped rather than refused.
	 */
	private handleAwareness(conn: Connection<P>, update: Uint8Array): void {
		const document = conn.document;
		const entries = decodeAwarenessUpdate(update, MAX_AWARENESS_ENTRIES);
		const firstMessage = !conn.sentAwareness;
		conn.sentAwareness = true;
		const accepted: AwarenessEntry[] = [];
		for (const entry of entries) {
			const owner = document.awarenessOwners.get(entry.clientId);
			if (owner === conn) {
				accepted.push(entry);
				continue;
			}
			if (owner || entry.state === null) continue;
			const unseen =
				!document.awareness.meta.has(entry.clientId) &&
				!document.retiredAwareness.has(entry.clientId);
			if (!firstMessage && !unseen) continue;
			if (conn.awarenessClients.size >= this.options.limits.maxAwarenessClientsPerConnection) {
				conn.reject('awareness_rejected', CloseCode.policyViolation, 'too many awareness clients');
				return;
			}
			document.awarenessOwners.set(entry.clientId, conn as Connection);
			document.retiredAwareness.delete(entry.clientId);
			conn.awarenessClients.add(entry.clientId);
			accepted.push(entry);
		}
		if (accepted.length === 0) return;
		const { maxAwarenessStateBytes, awarenessBytesPerSecond } = this.options.limits;
		let bytes = 0;
		for (const entry of accepted) {
			if (entry.size > maxAwarenessStateBytes) {
				conn.reject('awareness_rejected', CloseCode.policyViolation, 'presence state too large');
				return;
			}
			bytes += entry.size;
		}
		conn.awarenessBytes ??= new TokenBucket(4 * awarenessBytesPerSecond, awarenessBytesPerSecond);
		if (!conn.awarenessBytes.takeMany(bytes)) {
			conn.reject(
				'awareness_rejected',
				CloseCode.policyViolation,
				'presence updates too large or too frequent'
			);
			return;
		}
		for (const entry of accepted) {
			if (entry.state !== null && this.options.hooks.stampsAwareness) {
				entry.state = this.options.hooks.stampAwareness(
					conn,
					entry.state as Record<string, unknown>
				);
			}
		}
		applyAwarenessUpdate(document.awareness, encodeAwarenessEntries(accepted), conn);
	}
}
