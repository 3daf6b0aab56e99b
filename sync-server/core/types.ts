// The core's vocabulary: who a socket belongs to, what a verdict on an update says, the limits
// and what it logs through.
import type { ExtensionChain } from './extension-chain.ts';
import type { CoreMetrics } from './metrics.ts';

/** What the core logs through (pino's shape; the application passes its logger). */
export interface Logger {
	debug(fields: object, message: string): void;
	info(fields: object, message: string): void;
	warn(fields: object, message: string): void;
	error(fields: object, message: string): void;
}

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
	/** The largest presence state (JSON) one awareness client may have. */
	maxAwarenessStateBytes: number;
	/**
	 * Presence a socket may have relayed to its room, in state bytes per second (four times as
	 * much at once): presence goes to every socket in the room, so it is bounded in bytes too.
	 */
	awarenessBytesPerSecond: number;
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

/** What the core's parts (the rooms, the message loop) are made with. */
export interface CoreParts<P extends Principal> {
	hooks: ExtensionChain<P>;
	limits: SyncLimits;
	log: Logger;
	metrics: CoreMetrics;
}
