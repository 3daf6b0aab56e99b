import type { IncomingMessage } from 'node:http';
import type * as Y from 'yjs';

export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>;
import type { Connection } from './connection.ts';
import type { SyncDocument } from './document.ts';

/** Whoever authenticated a socket. The core only needs an id for logs. */
export interface Principal {
	id: string;
}

/** Returned by `authorizeRoom` to hold a quota slot; released when the socket closes. */
export interface RoomLease {
	release(): void;
}

export type UpdateVerdict =
	| {
			ok: true;
			/** False when the update holds nothing the document lacks: it is then not applied. */
			changes?: boolean;
			/** Runs right after the update was applied (e.g. to record which client ids a user owns). */
			commit?: () => void;
	  }
	| { ok: false; reason: string }
	/**
	 * The update builds on content the server does not have yet (e.g. a change sent while the
	 * client's offline work is still on its way): nothing is applied and the client is asked for
	 * everything the server lacks (sync step 1) instead of being closed, which would make it drop
	 * its unsent work.
	 */
	| { ok: false; reason: string; resync: true };

/**
 * The named hooks through which an application gives the generic core its meaning. Throw a
 * `Refusal` from `authenticate`/`authorizeRoom` to refuse the upgrade with an HTTP status.
 */
export interface SyncHooks<P extends Principal> {
	authenticate(request: IncomingMessage): Promise<P>;
	authorizeRoom(principal: P, docName: string, request: IncomingMessage): Promise<RoomLease | void>;
	/** The stored state of a document, or null when it has never been stored. Throws on failure. */
	load(docName: string): Promise<Uint8Array | null>;
	/** Called once after a document's stored state was applied, before anyone can use it. */
	loaded?(document: SyncDocument): void;
	/** Called when a socket has joined a document, before any of its messages is handled. */
	joined?(document: SyncDocument): void;
	/**
	 * Called for every sync step 2 and update message from a client, before anything is applied.
	 * Must be synchronous so messages of a socket are handled strictly in order.
	 */
	validateUpdate(
		document: SyncDocument,
		update: Uint8Array,
		connection: Connection<P>,
		/** `Y.decodeUpdate(update)`, already computed by the core's format check. */
		decoded?: DecodedUpdate
	): UpdateVerdict;
	/**
	 * Makes an update that changed the server's state durable; resolves once it is. Updates
	 * stored together may share one promise (the core then waits on it once for all of them).
	 */
	store(docName: string, update: Uint8Array): Promise<void>;
	/** After every update that changed a document (from a client or from the server itself). */
	changed?(docName: string, doc: Y.Doc, update: Uint8Array, origin: unknown): void;
	/** Before an idle document is released: flush what is pending, compact. Errors are logged. */
	unload?(document: SyncDocument): Promise<void>;
	/**
	 * Lets the application rewrite a client's awareness state before it is applied and broadcast
	 * (e.g. to stamp the authenticated user so nobody can pose as someone else).
	 */
	stampAwareness?(
		connection: Connection<P>,
		state: Record<string, unknown>
	): Record<string, unknown>;
}

export interface SyncLimits {
	/** Largest frame a client may send (bytes); larger closes the socket with 1009. */
	maxMessageBytes: number;
	/** Largest encoded document a client update may produce (bytes). */
	maxDocumentBytes: number;
	/** Sustained messages per second per socket, and the burst allowed above it. */
	messagesPerSecond: number;
	messageBurst: number;
	/** A socket whose unsent data exceeds this is closed (1013): it cannot keep up. */
	maxBufferedBytes: number;
	/** Awareness clients one socket may speak for. */
	maxAwarenessClientsPerConnection: number;
	authConcurrency: number;
	loadConcurrency: number;
	/** Upgrades waiting for auth or load beyond this are refused with 503. */
	maxPendingUpgrades: number;
	loadTimeoutMs: number;
	idleUnloadMs: number;
	pingIntervalMs: number;
	/**
	 * Connections the kernel may hold before the server accepts them (`listen(2)`'s backlog,
	 * capped by `net.core.somaxconn`). A reconnect storm after a restart arrives faster than the
	 * event loop accepts; once this queue is full the kernel drops SYNs and each dropped client
	 * waits for its retransmit timer (1 s, then 3, 7, 15 s), whatever the server could do.
	 */
	listenBacklog: number;
	/**
	 * When an accepted update reaches the rest of the room: `accepted` (the default) at once, to
	 * everyone but its sender, who hears it back once durable (the persistence journals it first,
	 * so a crash of the process loses nothing the room has seen); `durable` only once it is
	 * stored, at the price of a database write in every fan-out. See docs/sync-server.md.
	 */
	relay: 'durable' | 'accepted';
}

export type HttpHandler = (
	request: IncomingMessage,
	response: import('node:http').ServerResponse
) => void | Promise<void>;
