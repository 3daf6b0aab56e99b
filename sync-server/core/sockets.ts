// The open sockets, each from the upgrade that attached it to its document until it closes: its
// messages go to the message loop (message-loop.ts), it starts with the document's sync step 1
// and the awareness states present, and when it closes its awareness clients leave the room and
// its hold on the document is released. A keep-alive sweep terminates sockets that stopped
// answering; a graceful stop closes them all.
import type { WebSocket } from 'ws';
import { encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import { CloseCode, type RejectionKind } from './close-codes.ts';
import { Connection, type ConnectionOptions } from './connection.ts';
import type { SyncDocument } from './document.ts';
import { MessageLoop } from './message-loop.ts';
import { encodeAwarenessMessage } from './protocol.ts';
import { withTimeout, type Rooms } from './rooms.ts';
import type { CoreParts, Principal, RoomLease } from './types.ts';

export class Sockets<P extends Principal> {
	private readonly open = new Set<Connection<P>>();
	private readonly loop: MessageLoop<P>;
	private readonly connectionOptions: ConnectionOptions;

	constructor(private readonly parts: CoreParts<P> & { rooms: Rooms<P> }) {
		const { limits, log, metrics } = parts;
		this.loop = new MessageLoop(parts);
		this.connectionOptions = {
			messagesPerSecond: limits.messagesPerSecond,
			messageBurst: limits.messageBurst,
			maxBufferedBytes: limits.maxBufferedBytes,
			log,
			onRejected: (kind) => metrics.rejections.inc({ reason: kind })
		};
	}

	get size(): number {
		return this.open.size;
	}

	/** The open sockets now. */
	values(): Iterable<Connection<P>> {
		return this.open;
	}

	/** A socket whose upgrade was admitted joins its (acquired) document. */
	attach(ws: WebSocket, principal: P, document: SyncDocument, lease: RoomLease | void): void {
		const conn = new Connection<P>(ws, principal, document, lease, this.connectionOptions);
		this.open.add(conn);
		document.connections.add(conn as Connection);
		ws.on('message', (data, isBinary) => this.loop.onMessage(conn, data, isBinary));
		ws.on('pong', () => (conn.alive = true));
		ws.on('error', (error: Error & { code?: string }) => this.onSocketError(conn, error));
		ws.once('close', () => this.detach(conn));
		this.parts.log.debug({ conn: conn.id, user: principal.id, doc: document.name }, 'socket open');
		this.parts.hooks.joined(document);
		// ask the client for what the server lacks; the client asks for the rest with its own step 1
		conn.send(document.syncStep1());
		const present = [...document.awareness.getStates().keys()];
		if (present.length > 0) {
			conn.send(encodeAwarenessMessage(encodeAwarenessUpdate(document.awareness, present)));
		}
	}

	/** Terminates the sockets silent since the last sweep and pings the others. */
	sweepKeepAlive(): void {
		for (const conn of this.open) {
			if (!conn.alive) {
				conn.reject('keepalive_timeout', CloseCode.goingAway, 'keep-alive timeout');
				conn.socket.terminate();
				continue;
			}
			conn.alive = false;
			try {
				conn.socket.ping();
			} catch {
				/* closing already */
			}
		}
	}

	/** Closes every socket (1001); those not closed within `timeoutMs` are terminated. */
	async closeAll(timeoutMs = 2_000): Promise<void> {
		const closed = [...this.open].map(
			(conn) =>
				new Promise<void>((resolve) => {
					if (conn.socket.readyState === conn.socket.CLOSED) return resolve();
					conn.socket.once('close', () => resolve());
					conn.close(CloseCode.goingAway, 'server shutting down');
				})
		);
		await withTimeout(Promise.all(closed), timeoutMs, 'closing sockets').catch(() => {
			for (const conn of this.open) conn.socket.terminate();
		});
	}

	private onSocketError(conn: Connection<P>, error: Error & { code?: string }): void {
		// ws has already sent the matching close frame (1009 for size, 1002/1007 for bad frames)
		const kind: RejectionKind =
			error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
				? 'message_too_large'
				: 'malformed_message';
		if (conn.closed) return;
		this.parts.metrics.rejections.inc({ reason: kind });
		this.parts.log.info(
			{ conn: conn.id, user: conn.principal.id, doc: conn.document.name, kind, code: error.code },
			`socket closed: ${error.message}`
		);
		conn.closed = true;
	}

	private detach(conn: Connection<P>): void {
		if (!this.open.delete(conn)) return;
		conn.dispose();
		const document = conn.document;
		document.connections.delete(conn as Connection);
		const mine = [...conn.awarenessClients].filter(
			(id) => document.awarenessOwners.get(id) === conn
		);
		if (mine.length > 0) removeAwarenessStates(document.awareness, mine, null);
		for (const id of mine) {
			document.awarenessOwners.delete(id);
			// forget the clock so the client can come back with the same state; relays of its old
			// state by others are not accepted as a new claim
			document.awareness.meta.delete(id);
			document.retiredAwareness.add(id);
		}
		this.parts.log.debug({ conn: conn.id, doc: document.name }, 'socket closed');
		this.parts.hooks.left(document);
		this.parts.rooms.release(document);
	}
}
