import type { WebSocket } from 'ws';
import type { RejectionKind } from './close-codes.ts';
import type { SyncDocument } from './document.ts';
import { TokenBucket } from './token-bucket.ts';
import type { Logger, Principal, RoomLease } from './types.ts';

let nextConnectionId = 1;
const BINARY = { binary: true } as const;

/** What every socket of a server shares (one object per server, not per socket). */
export interface ConnectionOptions {
	messagesPerSecond: number;
	messageBurst: number;
	maxBufferedBytes: number;
	log: Logger;
	onRejected: (kind: RejectionKind) => void;
}

/**
 * One client socket in one room. Kept small: thousands of idle ones stay open, so it holds no
 * reference to the upgrade request (its headers and cookie) once authenticated.
 */
export class Connection<P extends Principal = Principal> {
	readonly id = nextConnectionId++;
	readonly openedAt = Date.now();
	/** Awareness client ids this socket speaks for; removed when it closes. */
	readonly awarenessClients = new Set<number>();
	/** Whether this socket sent an awareness message yet (its first one names its own client). */
	sentAwareness = false;
	readonly rate: TokenBucket;
	/** Presence bytes this socket may still have relayed (made at its first awareness state). */
	awarenessBytes: TokenBucket | null = null;
	/** Set by pong or any message; the keep-alive sweep terminates sockets that stay silent. */
	alive = true;
	closed = false;

	constructor(
		readonly socket: WebSocket,
		readonly principal: P,
		readonly document: SyncDocument,
		private readonly lease: RoomLease | void,
		private readonly options: ConnectionOptions
	) {
		this.rate = new TokenBucket(options.messageBurst, options.messagesPerSecond);
	}

	/** Queues a frame; a client that lets too much pile up is disconnected (it will resync). */
	send(frame: Uint8Array): void {
		if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
		if (this.socket.bufferedAmount > this.options.maxBufferedBytes) {
			this.reject('slow_consumer', 1013, 'client too slow');
			return;
		}
		this.socket.send(frame, BINARY, this.afterSend);
	}

	/** One callback per socket, not one per frame sent. */
	private readonly afterSend = (error?: Error) => {
		if (error) this.options.log.debug({ conn: this.id, err: error.message }, 'send failed');
	};

	/** Closes with a code and reason, counting and logging it as a rejection. */
	reject(kind: RejectionKind, code: number, reason: string, detail?: string): void {
		if (this.closed) return;
		this.options.onRejected(kind);
		this.options.log.info(
			{ conn: this.id, user: this.principal.id, doc: this.document.name, kind, code, detail },
			`socket closed: ${reason}`
		);
		this.close(code, reason);
	}

	close(code: number, reason: string): void {
		if (this.closed) return;
		this.closed = true;
		// close reasons are limited to 123 bytes by the protocol
		const short = Buffer.from(reason).subarray(0, 123).toString();
		try {
			this.socket.close(code, short);
		} catch {
			this.socket.terminate();
		}
		// a peer that never answers the close handshake is cut off
		setTimeout(() => this.socket.terminate(), 5_000).unref();
	}

	/** Called once the socket is gone, however it ended. */
	dispose(): void {
		this.closed = true;
		this.lease?.release();
	}
}
