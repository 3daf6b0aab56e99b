// One Y.Doc kept in IndexedDB and synced with the sync-server, shared (ref-counted) by every
// component that opens the same document. See index.ts for the public API.
import * as decoding from 'lib0/decoding';
import { IndexeddbPersistence } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';
import { SvelteSet } from 'svelte/reactivity';
import * as Y from 'yjs';
import { browser } from '$app/environment';
import { showToast } from '$lib/components/toast.svelte';
import { eventsArray, ID_PATTERN, parseDocName } from '$lib/order';
// the sync protocol's close codes, declared once beside the server that sends them
import { CloseCode } from '../../../sync-server/core/close-codes';
import { MessageType } from '../../../sync-server/core/protocol';
import { jitter, reconnectDelay } from './backoff';
import { getSyncUrl } from './config';
import { readStored, writeStored } from './device-storage';
import { localDbName } from './local-store';
import { droppedMessage, refusalMessage, sessionEndedMessage } from './messages';
import {
	hasWrites,
	NO_WRITES,
	ownWrites,
	parseWrites,
	reapplyWrites,
	serializeWrites,
	type OwnWrites
} from './rebase';
import { loadOwnClients, updateOwnClients } from './own-clients';
import { loadServerVector, pendingChanges, storeServerVector } from './pending.svelte';
import {
	encodeSyncStep1Frame,
	extendByStateVector,
	extendByUpdate,
	readServerSyncMessage,
	unconfirmedChanges,
	unconfirmedElementIds,
	type StateVector
} from './state-vector';

/** `connecting` until the first attempt settles; then `online` while a socket is open. */
export type ConnectionStatus = 'connecting' | 'online' | 'offline';

export interface SyncProblem {
	/**
	 * `refused`: the server refused a local change (close 4403/4413/1009); the local copy was
	 * dropped, and the person's own changes that are still admitted were written again.
	 * `session-ended`: the session is gone (close 4401 or another 44xx); no automatic reconnect.
	 */
	kind: 'refused' | 'session-ended';
	/** A sentence for people. */
	message: string;
	/** The server's close reason. */
	reason: string;
}

export interface DocHandle {
	readonly docName: string;
	/** The document. Replaced by a fresh one after a refusal: read it each time, use `observe`. */
	readonly doc: Y.Doc;
	readonly status: ConnectionStatus;
	/** The first sync with the server has completed (since this document was opened or reset). */
	readonly synced: boolean;
	/** Connected, and the server's answer to our state is still on its way. */
	readonly syncing: boolean;
	/** The copy kept on this device has been loaded (it may be empty). */
	readonly loadedLocal: boolean;
	/**
	 * The copy kept on this device has synced with the server at least once (now or on an earlier
	 * visit), so it holds what the server had then.
	 */
	readonly syncedBefore: boolean;
	readonly error: SyncProblem | null;
	/**
	 * The person's own changes the server has not confirmed durable yet: what this device wrote
	 * (with its own Yjs client ids) beyond what the server said it stored (kept across reloads, so
	 * it is right offline too). Never counts anyone else's content: 0 on a feed.
	 */
	readonly pending: number;
	/** An order's events among `pending`, by id (its steps still on this device only). */
	readonly unsentEvents: ReadonlySet<string>;
	/** Calls `listener` after every change of the content, and when the document is replaced. */
	observe(listener: (doc: Y.Doc) => void): () => void;
	/** Clears `error` (e.g. when the person dismisses the message). */
	dismissError(): void;
	/** Gives the handle back; the last release closes the socket (after a short grace period). */
	release(): void;
}

// A refused write (4403), a document that would grow past its limit (4413), a message over the
// size limit (1009): the copy would send the same content again on every reconnect, so it is
// rebased (rebase.ts). Any other 44xx: permanent (the session ended), y-websocket's own
// convention. Anything else (1008 rate limit, 1001, 1006…): reconnect later.
const REFUSAL_CODES: ReadonlySet<number> = new Set([
	CloseCode.writeRefused,
	CloseCode.documentTooLarge,
	CloseCode.messageTooBig
]);
const isPermanentClose = (code: number) => code >= 4400 && code < 4500;
const rebaseKey = (userId: string, docName: string) => `dispatch:rebase/${userId}/${docName}`;
/** Set once this device's copy has synced with the server (see `syncedBefore`). */
const syncedKey = (userId: string, docName: string) => `dispatch:synced/${userId}/${docName}`;

/** Keep a released document open this long, so moving between pages does not reconnect. */
const LINGER_MS = 5_000;
/** Reconnect within this long (random) when the browser says the network is back. */
const ONLINE_JITTER_MS = 1_000;
/** While changes are unconfirmed, ask the server for its state vector this often. */
const CONFIRM_INTERVAL_MS = 1_500;

type Listener = (doc: Y.Doc) => void;

class SharedDoc {
	status: ConnectionStatus = $state('connecting');
	synced = $state(false);
	syncing = $state(false);
	loadedLocal = $state(false);
	syncedBefore = $state(false);
	error: SyncProblem | null = $state(null);
	pending = $state(0);
	unsentEvents: ReadonlySet<string> = $state.raw(new Set());
	doc: Y.Doc = $state.raw(new Y.Doc());

	private refs = 0;
	/** An order document (its events can be unsent); feeds are read-only to clients. */
	private readonly isOrder: boolean;
	/** Open handles whose page shows `error` itself: a refusal is toasted only without one. */
	errorViewers = 0;
	private readonly listeners = new Set<Listener>();
	private persistence: IndexeddbPersistence | null = null;
	private provider: WebsocketProvider | null = null;
	/** Bumped whenever the provider or the document is replaced; stale callbacks compare it. */
	private generation = 0;
	private attempt = 0;
	private retryTimer: ReturnType<typeof setTimeout> | null = null;
	private retry: (() => void) | null = null;
	private lingerTimer: ReturnType<typeof setTimeout> | null = null;
	private destroyed = false;
	/** What the server is known to hold durably of `ownClients` (see state-vector.ts). */
	private serverVector: StateVector;
	/** The Yjs client ids this device wrote this document with (see pending.svelte.ts). */
	private readonly ownClients: Set<number>;
	/** The socket's first step 1 (its live state, not what is durable) is still to come. */
	private awaitingOpeningStep1 = false;
	/**
	 * Own writes taken out of a refused copy, written again once the fresh copy has synced (kept in
	 * localStorage meanwhile). `rebased` is set once they were written again and cleared when the
	 * server confirms everything: a second refusal before that drops them instead of looping.
	 */
	private carried: OwnWrites;
	private rebased = false;
	/** The server's reason for the refusal that `carried` comes from. */
	private carriedReason = '';
	private confirmTimer: ReturnType<typeof setTimeout> | null = null;

	constructor(
		private readonly key: string,
		readonly userId: string,
		readonly docName: string
	) {
		this.isOrder = parseDocName(docName)?.kind === 'order';
		this.serverVector = loadServerVector(userId, docName);
		this.ownClients = loadOwnClients(userId, docName);
		this.syncedBefore = readStored(syncedKey(userId, docName)) !== null;
		this.carried = parseWrites(readStored(rebaseKey(userId, docName)));
		openDocs.add(this);
		window.addEventListener('online', this.onOnline);
		window.addEventListener('offline', this.onOffline);
		this.start(this.doc);
	}

	acquire(): void {
		this.refs++;
		if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
		this.lingerTimer = null;
	}

	releaseRef(): void {
		this.refs--;
		if (this.refs > 0 || this.destroyed) return;
		this.lingerTimer = setTimeout(() => {
			if (this.refs === 0) this.destroy();
		}, LINGER_MS);
	}

	observe(listener: Listener): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	private notify = () => {
		for (const listener of [...this.listeners]) listener(this.doc);
	};

	private onDocUpdate = (
		_update: Uint8Array,
		_origin: unknown,
		doc: Y.Doc,
		transaction: Y.Transaction
	) => {
		// A change made here (not one loaded from IndexedDB or received from the server, which
		// Yjs applies as non-local transactions): written with this copy's client id.
		if (transaction.local && !this.ownClients.has(doc.clientID)) {
			this.ownClients.add(doc.clientID);
			updateOwnClients(this.userId, this.docName, { add: [doc.clientID] });
		}
		this.notify();
		this.recount();
		if (transaction.local) this.scheduleConfirm(300);
	};

	/** Recomputes `pending`; before the local copy is loaded the document says nothing yet. */
	private recount(): void {
		if (!this.loadedLocal) return;
		this.pending = unconfirmedChanges(this.doc, this.serverVector, this.ownClients);
		pendingChanges.set(this.userId, this.docName, this.pending);
		if (this.isOrder && (this.pending > 0 || this.unsentEvents.size > 0)) {
			this.unsentEvents = unconfirmedElementIds(
				this.doc,
				eventsArray(this.doc),
				this.serverVector,
				this.ownClients
			);
		}
		if (this.pending === 0 && this.synced) this.rebased = false;
		this.forgetConfirmedClients();
	}

	/**
	 * Client ids of earlier copies (before a reload or a rebase) whose content the server has all
	 * of are not worth remembering: nothing can be added with them any more.
	 */
	private forgetConfirmedClients(): void {
		const forgotten: number[] = [];
		for (const client of this.ownClients) {
			if (client === this.doc.clientID) continue;
			const structs = this.doc.store.clients.get(client);
			const last = structs?.at(-1);
			const local = last ? last.id.clock + last.length : 0;
			if ((this.serverVector.get(client) ?? 0) >= local) forgotten.push(client);
		}
		if (forgotten.length === 0) return;
		for (const client of forgotten) {
			this.ownClients.delete(client);
			this.serverVector.delete(client);
		}
		updateOwnClients(this.userId, this.docName, { remove: forgotten });
		storeServerVector(this.userId, this.docName, this.serverVector);
	}

	/**
	 * The server said what it holds: a step 1 after the socket's first carries its durable state
	 * vector (the sync-server's courtesy); an update it relays to us that carries our own content
	 * is stored (it relays our own updates back once they are durable).
	 */
	private learnFromServer(decoder: Parameters<typeof readServerSyncMessage>[0]): void {
		const message = readServerSyncMessage(decoder);
		if (message === null) return;
		let next: StateVector | null;
		if (message.step === 'state') {
			if (this.awaitingOpeningStep1) {
				// sent as the socket opened: the live state, which may be ahead of what is stored
				this.awaitingOpeningStep1 = false;
				return;
			}
			next = extendByStateVector(this.serverVector, message.vector, this.ownClients);
		} else {
			next = extendByUpdate(this.serverVector, message.update, this.ownClients);
		}
		if (next === null) return;
		this.serverVector = next;
		storeServerVector(this.userId, this.docName, this.serverVector);
		this.recount();
	}

	/**
	 * While some change is unconfirmed, sends a sync step 1 now and then: the sync-server answers
	 * with what we lack and its durable state vector, which confirms what it has stored.
	 */
	private scheduleConfirm(delayMs = CONFIRM_INTERVAL_MS): void {
		if (this.confirmTimer !== null || this.destroyed) return;
		this.confirmTimer = setTimeout(() => {
			this.confirmTimer = null;
			if (this.pending === 0 || this.destroyed) return;
			const provider = this.provider;
			const ws = provider?.ws;
			if (provider && provider.synced && ws && ws.readyState === WebSocket.OPEN) {
				ws.send(encodeSyncStep1Frame(this.doc));
				this.scheduleConfirm();
			}
			// Offline: the next sync (on reconnect) schedules it again.
		}, delayMs);
	}

	private start(doc: Y.Doc): void {
		const generation = ++this.generation;
		this.loadedLocal = false;
		doc.on('update', this.onDocUpdate);
		try {
			const persistence = new IndexeddbPersistence(localDbName(this.userId, this.docName), doc);
			this.persistence = persistence;
			void persistence.whenSynced.then(() => {
				if (generation !== this.generation) return;
				this.loadedLocal = true;
				this.notify();
				this.recount();
			});
		} catch {
			// No IndexedDB (e.g. disabled storage): work from the server only.
			this.loadedLocal = true;
			this.recount();
		}
		void this.connect(generation);
	}

	private async connect(generation: number): Promise<void> {
		let url: string;
		try {
			url = await getSyncUrl();
		} catch {
			if (generation !== this.generation || this.destroyed) return;
			this.status = 'offline';
			this.scheduleRetry(() => void this.connect(generation));
			return;
		}
		if (generation !== this.generation || this.destroyed) return;
		const provider = new WebsocketProvider(url, this.docName, this.doc, {
			// Tabs do not share documents over BroadcastChannel: each syncs through the server, so
			// a tab never relays content it did not author (the server refuses that) and a tab of
			// another account can never receive this user's documents.
			disableBc: true,
			// Every reconnect is scheduled here, with jitter; see onClosed.
			shouldReconnect: () => false
		});
		this.provider = provider;
		const current = () => this.provider === provider && !this.destroyed;
		// Learn the server's state vector from what it sends: a sync step 1 carries it, and an
		// update from the server (including our own, relayed back once durable) adds to it.
		const handleSync = provider.messageHandlers[MessageType.sync];
		provider.messageHandlers[MessageType.sync] = (encoder, decoder, ...rest) => {
			const copy = decoding.clone(decoder);
			handleSync?.(encoder, decoder, ...rest);
			if (current()) this.learnFromServer(copy);
		};
		provider.on('status', ({ status }) => {
			if (!current()) return;
			if (status === 'connected') {
				this.awaitingOpeningStep1 = true;
				this.status = 'online';
				this.syncing = true;
			} else if (status === 'disconnected') {
				this.status = 'offline';
				this.syncing = false;
			}
		});
		provider.on('sync', (isSynced) => {
			if (!current() || !isSynced) return;
			this.synced = true;
			this.syncing = false;
			this.attempt = 0;
			if (!this.syncedBefore) {
				this.syncedBefore = true;
				writeStored(syncedKey(this.userId, this.docName), '1');
			}
			this.reapplyCarried();
			this.scheduleConfirm(300);
		});
		provider.on('connection-close', () => {
			if (!current()) return;
			this.status = 'offline';
			this.syncing = false;
		});
		provider.on('closed', ({ code, reason }) => {
			if (current()) this.onClosed(provider, code, reason);
		});
	}

	/** The server (or the network) closed the socket; y-websocket will not reconnect by itself. */
	private onClosed(provider: WebsocketProvider, code: number, reason: string): void {
		if (REFUSAL_CODES.has(code)) {
			void this.resetAfterRefusal(reason);
		} else if (isPermanentClose(code)) {
			this.error = { kind: 'session-ended', message: sessionEndedMessage(this.docName), reason };
		} else {
			this.scheduleRetry(() => provider.connect());
		}
	}

	private scheduleRetry(action: () => void, delayMs = reconnectDelay(this.attempt++)): void {
		if (this.retryTimer !== null) clearTimeout(this.retryTimer);
		this.retry = action;
		this.retryTimer = setTimeout(() => {
			this.retryTimer = null;
			this.retry = null;
			if (!this.destroyed) action();
		}, delayMs);
	}

	private onOnline = () => {
		const action = this.retry;
		if (action === null) return;
		this.attempt = 0;
		this.scheduleRetry(action, jitter(ONLINE_JITTER_MS));
	};

	/**
	 * The browser lost the network. An open socket may stay "open" but carry nothing (Chromium
	 * keeps it so; see docs/offline.md) until y-websocket's 30 s watchdog notices, so it is dropped
	 * now: the page says "offline" at once and reconnects when the network returns (onOnline).
	 */
	private onOffline = () => {
		const provider = this.provider;
		if (provider === null || provider.ws === null) return;
		provider.disconnect(); // drops the socket at once; y-websocket then waits for `connect()`
		this.status = 'offline';
		this.syncing = false;
		this.scheduleRetry(() => provider.connect());
	};

	/**
	 * The server refused an update from this copy. The copy (memory and IndexedDB) still holds it
	 * and would send it again on every reconnect, so it is dropped and the document is loaded
	 * fresh from the server; the person's own writes are carried over (rebase.ts). If the copy was
	 * already rebased and is refused again before the server confirmed it, nothing is carried
	 * over a second time: the refusal is final for those writes, and the person is told.
	 */
	private async resetAfterRefusal(reason: string): Promise<void> {
		const own = this.rebased ? NO_WRITES : ownWrites(this.doc, this.userId);
		this.carried = own;
		this.carriedReason = reason;
		this.rebased = false;
		writeStored(rebaseKey(this.userId, this.docName), hasWrites(own) ? serializeWrites(own) : null);
		// with nothing to carry over (or refused again), the person is told now
		if (!hasWrites(own)) this.tellRefused(reason);
		this.generation++;
		this.stopProvider();
		const oldDoc = this.doc;
		oldDoc.off('update', this.onDocUpdate);
		const persistence = this.persistence;
		this.persistence = null;
		try {
			await persistence?.clearData();
		} catch {
			/* the database may already be gone */
		}
		if (this.destroyed) return;
		this.synced = false;
		this.syncedBefore = false;
		writeStored(syncedKey(this.userId, this.docName), null);
		this.doc = new Y.Doc();
		this.start(this.doc);
		this.notify();
		oldDoc.destroy();
	}

	/** After a fresh sync: writes carried over from a refused copy go in again where admitted. */
	private reapplyCarried(): void {
		if (!hasWrites(this.carried)) return;
		const result = reapplyWrites(this.doc, this.userId, this.carried);
		this.carried = NO_WRITES;
		writeStored(rebaseKey(this.userId, this.docName), null);
		this.rebased = result.reapplied.length > 0 || result.ratingReapplied;
		if (result.dropped.length > 0) {
			const message = droppedMessage(this.docName, result.dropped);
			const reason = result.dropped.map((d) => d.reason).join('; ');
			this.error = { kind: 'refused', message, reason };
			if (this.errorViewers === 0) showToast(message, { kind: 'error' });
		} else if (!this.rebased) {
			// nothing of the person's was refused or re-sent: the refusal was about something else
			this.tellRefused(this.carriedReason);
		}
	}

	private tellRefused(reason: string): void {
		const message = refusalMessage(this.docName, reason);
		this.error = { kind: 'refused', message, reason };
		if (this.errorViewers === 0) showToast(message, { kind: 'error' });
	}

	private stopProvider(): void {
		if (this.confirmTimer !== null) clearTimeout(this.confirmTimer);
		this.confirmTimer = null;
		if (this.retryTimer !== null) clearTimeout(this.retryTimer);
		this.retryTimer = null;
		this.retry = null;
		const provider = this.provider;
		this.provider = null;
		provider?.destroy();
		this.syncing = false;
	}

	private destroy(): void {
		if (this.destroyed) return;
		this.destroyed = true;
		registry.delete(this.key);
		openDocs.delete(this);
		window.removeEventListener('online', this.onOnline);
		window.removeEventListener('offline', this.onOffline);
		this.stopProvider();
		this.doc.off('update', this.onDocUpdate);
		void this.persistence?.destroy();
		this.persistence = null;
		this.doc.destroy();
		this.listeners.clear();
	}
}

class Lease implements DocHandle {
	#shared: SharedDoc;
	#released = false;
	#stops = new Set<() => void>();

	#showsErrors: boolean;

	constructor(shared: SharedDoc, showsErrors: boolean) {
		this.#shared = shared;
		this.#showsErrors = showsErrors;
		shared.acquire();
		if (showsErrors) shared.errorViewers++;
	}

	get docName() {
		return this.#shared.docName;
	}
	get doc() {
		return this.#shared.doc;
	}
	get status() {
		return this.#shared.status;
	}
	get synced() {
		return this.#shared.synced;
	}
	get syncing() {
		return this.#shared.syncing;
	}
	get loadedLocal() {
		return this.#shared.loadedLocal;
	}
	get syncedBefore() {
		return this.#shared.syncedBefore;
	}
	get error() {
		return this.#shared.error;
	}
	get pending() {
		return this.#shared.pending;
	}
	get unsentEvents() {
		return this.#shared.unsentEvents;
	}

	observe(listener: Listener): () => void {
		if (this.#released) throw new Error('this document handle was released');
		const stop = this.#shared.observe(listener);
		this.#stops.add(stop);
		return () => {
			stop();
			this.#stops.delete(stop);
		};
	}

	dismissError(): void {
		this.#shared.error = null;
	}

	release(): void {
		if (this.#released) return;
		this.#released = true;
		for (const stop of this.#stops) stop();
		this.#stops.clear();
		if (this.#showsErrors) this.#shared.errorViewers--;
		this.#shared.releaseRef();
	}
}

// Plain Map on purpose: the registry itself is bookkeeping, not something the UI renders.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const registry = new Map<string, SharedDoc>();

/** Every open document, for the connection summary in the header. */
const openDocs = new SvelteSet<SharedDoc>();

export interface ConnectionSummary {
	/** Documents open on this page (including ones kept open to sync in the background). */
	open: number;
	online: number;
	offline: number;
	/** Connecting, or connected with the first exchange still on its way. */
	syncing: number;
}

/** How the open documents are connected (reactive). */
export function connectionSummary(): ConnectionSummary {
	const summary = { open: 0, online: 0, offline: 0, syncing: 0 };
	for (const doc of openDocs) {
		summary.open++;
		if (doc.status === 'online') summary.online++;
		if (doc.status === 'offline') summary.offline++;
		if (doc.status === 'connecting' || doc.syncing) summary.syncing++;
	}
	return summary;
}

/**
 * Opens a document for `userId` (browser only). Handles for the same user and document share one
 * Y.Doc, one IndexedDB copy and one socket; call `release()` when done (e.g. an effect's cleanup).
 */
export function openDoc(
	docName: string,
	options: {
		userId: string;
		/** The caller shows the handle's `error` on its page: refusals need no toast then. */
		showsErrors?: boolean;
	}
): DocHandle {
	if (!browser) throw new Error('openDoc works in the browser only');
	if (parseDocName(docName) === null) throw new Error(`not a document name: ${docName}`);
	if (!ID_PATTERN.test(options.userId)) throw new Error('openDoc needs the signed-in user id');
	const key = `${options.userId} ${docName}`;
	let shared = registry.get(key);
	if (shared === undefined) {
		shared = new SharedDoc(key, options.userId, docName);
		registry.set(key, shared);
	}
	return new Lease(shared, options.showsErrors === true);
}
