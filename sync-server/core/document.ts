import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Connection } from './connection.ts';
import { encodeSyncStep1, encodeSyncStep2 } from './protocol.ts';

/** An update the server accepted, kept until its store settles (see `SyncDocument.awaitStore`). */
export interface AcceptedUpdate {
	update: Uint8Array;
	/** The sync message that carries it to clients. */
	frame: Uint8Array;
	/** The document's state vector right after it (see `durableState`). */
	stateAfter: Map<number, number>;
	/** The transaction origin: the sender's Connection for a client update. */
	origin: unknown;
	/** `performance.now()` when accepted. */
	acceptedAt: number;
}

export type StoreSettled = (
	document: SyncDocument,
	update: AcceptedUpdate,
	durable: boolean
) => void;

interface StoreGroup {
	stored: Promise<void>;
	updates: AcceptedUpdate[];
	/** Null while the store is pending; then whether it succeeded. */
	outcome: boolean | null;
}

/** One shared document (a room): the Y.Doc, its awareness, and who is using it. */
export class SyncDocument {
	/** The live document: everything accepted, durable or not. Validation and writes use it. */
	readonly doc: Y.Doc;
	/**
	 * With relay once durable (`SYNC_RELAY=durable`) only: a replica holding only what is durable.
	 * Sync replies are computed from it, so a client never receives another writer's update that
	 * a crash could still lose (it could not give it back: the server refuses to take one user's
	 * writes re-sent by another). Null with relay on accept, the default.
	 */
	readonly durable: Y.Doc | null;
	/**
	 * The state vector of what is durable (client id → clock): the live document's state after
	 * the last update whose store completed, every earlier one having completed before it. It
	 * stops advancing at the first store that fails.
	 */
	durableState = new Map<number, number>();
	/** A store failed: what is durable is no longer a prefix of what was accepted. */
	durableStalled = false;
	readonly awareness: Awareness;
	readonly connections = new Set<Connection>();
	/** Which socket speaks for each awareness client id (so nobody can overwrite another's). */
	readonly awarenessOwners = new Map<number, Connection>();
	/** Client ids whose socket left; only their own next first message may claim them again. */
	readonly retiredAwareness = new Set<number>();
	/** Upgrades, sockets and server operations currently using the document. */
	holds = 0;
	/**
	 * An upper bound of the encoded size: the stored size at load plus every accepted update.
	 * Recomputed exactly only when it crosses the limit, so the common case costs nothing.
	 */
	approxBytes = 0;
	idleTimer: NodeJS.Timeout | null = null;
	/** Set once the document is unloaded (or failed to load) and must no longer be used. */
	released = false;
	/** Accepted updates not durable yet, in the order accepted, grouped by what they wait for. */
	private readonly storing: StoreGroup[] = [];
	/** The step 2 a client with nothing gets, until the next change (see `syncStep2`). */
	private fullStep2: Uint8Array | null = null;
	/** The step 1 every joining socket gets, until the live document changes. */
	private liveStep1: Uint8Array | null = null;
	/** The step 1 of what is durable, and the state vector it was encoded from. */
	private durableStep1: { state: Map<number, number>; frame: Uint8Array } | null = null;

	constructor(
		readonly name: string,
		options: { durableReplica: boolean }
	) {
		// (a guid of our own: Yjs would otherwise draw a random UUID, 31 calls to the system's
		// random source per document, a visible cost when a reconnect storm loads hundreds)
		this.doc = new Y.Doc({ gc: true, guid: name });
		this.durable = options.durableReplica ? new Y.Doc({ gc: true, guid: name }) : null;
		this.awareness = new Awareness(this.doc);
		// the server is not a participant: it has no presence of its own
		this.awareness.setLocalState(null);
	}

	/**
	 * The sync step 2 that answers a client's state vector, from the replica clients are served
	 * from. A client that has nothing (a newcomer, most of a reconnect storm) gets the whole
	 * state, encoded once per change of the document rather than once per socket.
	 */
	syncStep2(stateVector: Uint8Array): Uint8Array {
		const source = this.durable ?? this.doc;
		if (stateVector.length !== 1 || stateVector[0] !== 0) {
			return encodeSyncStep2(source, stateVector);
		}
		return (this.fullStep2 ??= encodeSyncStep2(source));
	}

	/** The served replica changed: the whole state must be encoded again. */
	changed(): void {
		this.fullStep2 = null;
	}

	/** A sync step 1 with the live document's state vector (encoded once per change of it). */
	syncStep1(): Uint8Array {
		return (this.liveStep1 ??= encodeSyncStep1(this.doc));
	}

	/** The live document changed (anything accepted, durable or not). */
	liveChanged(): void {
		this.liveStep1 = null;
	}

	/**
	 * A sync step 1 with the state vector of what is durable: the durable replica's, or
	 * `durableState` (a new map each time it moves, so the frame is kept until it does).
	 */
	durableSyncStep1(): Uint8Array {
		if (this.durable) return encodeSyncStep1(this.durable);
		if (this.durableStep1?.state !== this.durableState) {
			this.durableStep1 = { state: this.durableState, frame: encodeSyncStep1(this.durableState) };
		}
		return this.durableStep1.frame;
	}

	/**
	 * Waits for an accepted update's store; `settled` gets it once it is durable (or could not
	 * be stored), strictly in the order updates were accepted. Consecutive updates with the same
	 * store promise (one group commit) wait on it together.
	 */
	awaitStore(stored: Promise<void>, update: AcceptedUpdate, settled: StoreSettled): void {
		const last = this.storing.at(-1);
		if (last !== undefined && last.stored === stored) {
			last.updates.push(update);
			return;
		}
		const group: StoreGroup = { stored, updates: [update], outcome: null };
		this.storing.push(group);
		stored.then(
			() => this.settle(group, true, settled),
			() => this.settle(group, false, settled)
		);
	}

	private settle(group: StoreGroup, durable: boolean, settled: StoreSettled): void {
		group.outcome = durable;
		while (this.storing.length > 0 && this.storing[0]!.outcome !== null) {
			const first = this.storing.shift()!;
			for (const update of first.updates) settled(this, update, first.outcome!);
		}
	}

	/** Resolves when every update accepted so far is durable; rejects if one could not be stored. */
	async whenDurable(): Promise<void> {
		await Promise.all(this.storing.map((group) => group.stored));
	}

	exactBytes(): number {
		this.approxBytes = Y.encodeStateAsUpdate(this.doc).length;
		return this.approxBytes;
	}

	destroy(): void {
		this.released = true;
		this.awareness.destroy();
		this.doc.destroy();
		this.durable?.destroy();
	}
}
