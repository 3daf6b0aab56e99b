// Extensions give the generic core its meaning: authentication, room policy, write validation,
// persistence, projections, HTTP routes. Each is one object with named hooks; the server calls the
// hooks of every extension that has them, in the order the extensions were registered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as Y from 'yjs';
import type { Connection } from './connection.ts';
import type { SyncDocument } from './document.ts';
import type { Principal, RoomLease, UpdateVerdict } from './types.ts';

export interface SyncExtension<P extends Principal = Principal> {
	/** For logs and errors. */
	readonly name: string;

	/**
	 * Upgrade: who is asking? The first extension to return a principal decides; throw a
	 * `Refusal` to refuse the upgrade with an HTTP status. No principal from any: 401.
	 */
	authenticate?(request: IncomingMessage): Promise<P | undefined>;
	/**
	 * Upgrade: may `principal` open `docName`? Every extension in order; throw a `Refusal` to
	 * refuse. A returned lease (e.g. a quota slot) is released when the socket closes.
	 */
	authorizeRoom?(
		principal: P,
		docName: string,
		request: IncomingMessage
	): Promise<RoomLease | void>;

	/** The stored state of a document, or null when it was never stored. One extension stores. */
	load?(docName: string): Promise<Uint8Array | null>;
	/**
	 * Makes an accepted update durable; resolves once it is. Updates stored together may share
	 * one promise (the core then waits on it once for all of them).
	 */
	store?(docName: string, update: Uint8Array): Promise<void>;
	/** After a document's stored state was applied, before anyone can use it. */
	loaded?(document: SyncDocument): void;
	/** A socket joined a document, before any of its messages is handled. */
	joined?(document: SyncDocument): void;
	/** A socket left a document (its presence already removed). */
	left?(document: SyncDocument): void;
	/**
	 * With several processes sharing documents: whether a socket on another process has the
	 * document open (`SyncServer.isWatched` asks every extension that has this hook).
	 */
	watchedElsewhere?(docName: string): boolean;
	/** A socket on another process opened a document nobody there had open (`SyncServer.joinedElsewhere`). */
	joinedElsewhere?(docName: string): void;

	/**
	 * Every sync step 2 and update message from a client, before anything is applied. Synchronous,
	 * so a socket's messages are handled strictly in order; the first refusal wins. Each accepted
	 * verdict's `commit` runs right after the update was applied.
	 */
	validateUpdate?(
		document: SyncDocument,
		update: Uint8Array,
		connection: Connection<P>,
		decoded: ReturnType<typeof Y.decodeUpdate>
	): UpdateVerdict;
	/**
	 * After every update that changed a document (from a client or the server), once durable;
	 * also after another process's update was applied here (origin `REPLICA_ORIGIN`).
	 */
	changed?(docName: string, doc: Y.Doc, update: Uint8Array, origin: unknown): void;
	/** Rewrites a client's awareness state before it is applied and relayed. Chained in order. */
	stampAwareness?(
		connection: Connection<P>,
		state: Record<string, unknown>
	): Record<string, unknown>;

	/** An idle document is about to be released: write what is derived from it. In order. */
	beforeUnload?(document: SyncDocument): Promise<void>;
	/** Then: make it durable and compact it. In order; errors are logged and it is released. */
	unload?(document: SyncDocument): Promise<void>;

	/** A plain HTTP request (not an upgrade): true if this extension answered it. */
	handleHttp?(request: IncomingMessage, response: ServerResponse): Promise<boolean> | boolean;

	/** Once the server listens. In order. */
	start?(): Promise<void> | void;
	/** Graceful stop, before sockets close and documents are released. In order. */
	stopping?(): Promise<void> | void;
	/** Graceful stop, after every document was released. In order. */
	stopped?(): Promise<void> | void;
}
