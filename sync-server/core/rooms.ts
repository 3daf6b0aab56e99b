// The rooms: every document the server holds, from load to unload. A document loads once however
// many sockets and server writes ask for it; every accepted change is stored, relayed and
// reported; a document nobody holds is unloaded after an idle delay.
import { encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { Connection } from './connection.ts';
import { SyncDocument, type StoreSettled } from './document.ts';
import { encodeAwarenessMessage, encodeSyncUpdate } from './protocol.ts';
import { Refusal } from './refusal.ts';
import { Semaphore } from './semaphore.ts';
import type { CoreParts, Principal } from './types.ts';

/** Transaction origin of the state applied at load (it is already stored, so it is not stored again). */
const LOAD_ORIGIN = Symbol('load');
/**
 * Transaction origin of an update another process accepted and stored (several processes share
 * documents): relayed to this process's sockets, never stored or reported again here.
 */
export const REPLICA_ORIGIN = Symbol('replica');

interface DocumentEntry {
	document: SyncDocument;
	ready: Promise<void>;
	loaded: boolean;
	unloading: Promise<void> | null;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class Rooms<P extends Principal> {
	private readonly entries = new Map<string, DocumentEntry>();
	private readonly loadGate: Semaphore;
	private readonly clientUpdates;
	private readonly serverUpdates;
	/** Set when the server stops: documents are then released by `closeAll`, not by idle timers. */
	private closing = false;

	constructor(private readonly options: CoreParts<P>) {
		this.loadGate = new Semaphore(options.limits.loadConcurrency);
		this.clientUpdates = options.metrics.updates.labels({ origin: 'client' });
		this.serverUpdates = options.metrics.updates.labels({ origin: 'server' });
	}

	get count(): number {
		return this.entries.size;
	}

	isLoaded(name: string): boolean {
		return this.entries.get(name)?.loaded === true;
	}

	/** A loaded document, or null (loading, unloading or not held here). */
	loadedDocument(name: string): SyncDocument | null {
		const entry = this.entries.get(name);
		return entry?.loaded && !entry.unloading && !entry.document.released ? entry.document : null;
	}

	/** The names of the documents loaded now. */
	loadedNames(): string[] {
		return [...this.entries.values()].filter((e) => e.loaded).map((e) => e.document.name);
	}

	/** The names of the documents with at least one socket open. */
	watchedNames(): string[] {
		return [...this.entries.values()]
			.filter((e) => e.document.connections.size > 0)
			.map((e) => e.document.name);
	}

	/** True while at least one socket has the document open. */
	isWatched(name: string): boolean {
		return (this.entries.get(name)?.document.connections.size ?? 0) > 0;
	}

	/** After every socket closed: waits for loads and unloads under way, then releases everything. */
	async closeAll(): Promise<void> {
		this.closing = true;
		for (const entry of this.entries.values()) {
			if (entry.document.idleTimer) clearTimeout(entry.document.idleTimer);
		}
		await Promise.allSettled([...this.entries.values()].map((e) => e.unloading ?? e.ready));
		for (const entry of this.entries.values()) entry.document.destroy();
		this.entries.clear();
	}

	async acquire(name: string): Promise<SyncDocument> {
		for (;;) {
			const existing = this.entries.get(name);
			if (existing?.unloading) {
				await existing.unloading;
				continue;
			}
			const entry = existing ?? this.startLoading(name);
			const document = entry.document;
			document.holds++;
			if (document.idleTimer) {
				clearTimeout(document.idleTimer);
				document.idleTimer = null;
			}
			try {
				await entry.ready;
			} catch (error) {
				document.holds--;
				throw error;
			}
			return document;
		}
	}

	private startLoading(name: string): DocumentEntry {
		const document = new SyncDocument(name, {
			durableReplica: this.options.limits.relay === 'durable'
		});
		const entry: DocumentEntry = {
			document,
			ready: Promise.resolve(),
			loaded: false,
			unloading: null
		};
		entry.ready = this.loadGate
			.run(() =>
				withTimeout(this.options.hooks.load(name), this.options.limits.loadTimeoutMs, 'load')
			)
			.then((state) => {
				if (state) {
					Y.applyUpdate(document.doc, state, LOAD_ORIGIN);
					if (document.durable) Y.applyUpdate(document.durable, state, LOAD_ORIGIN);
				}
				document.durableState = Y.decodeStateVector(Y.encodeStateVector(document.doc));
				document.approxBytes = state?.length ?? 0;
				this.options.hooks.loaded(document);
				this.observe(document);
				entry.loaded = true;
				this.options.metrics.loads.inc({ kind: name.split('/', 1)[0] });
			})
			.catch((error: unknown) => {
				// never served and never stored: an empty document must not overwrite a real one
				this.options.metrics.loadFailures.inc();
				this.options.log.error({ err: error, doc: name }, 'document load failed; not served');
				if (this.entries.get(name) === entry) this.entries.delete(name);
				document.destroy();
				throw new Refusal(503, 'document_unavailable', 'document unavailable, try again later');
			});
		// the rejection is handled by every acquirer; this keeps it from being reported as unhandled
		entry.ready.catch(() => undefined);
		this.entries.set(name, entry);
		return entry;
	}

	/** Wires a loaded document: store, broadcast and notify on every change. */
	private observe(document: SyncDocument): void {
		const { doc, awareness, name } = document;
		doc.on('update', (update: Uint8Array, origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
			document.liveChanged();
			if (!document.durable) document.changed();
			if (origin === LOAD_ORIGIN) return;
			if (origin === REPLICA_ORIGIN) return this.replicated(document, update);
			(origin instanceof Connection ? this.clientUpdates : this.serverUpdates).inc();
			document.approxBytes += update.length;
			const acceptedAt = performance.now();
			const stored = this.options.hooks.store(name, update);
			const frame = encodeSyncUpdate(update);
			if (this.options.limits.relay === 'accepted') {
				for (const conn of document.connections) if (conn !== origin) conn.send(frame);
			}
			// With SYNC_RELAY=durable the room gets it only once durable (see SyncDocument.durable).
			// Either way the sender hears its update back then, which tells it the server has it for
			// good, and the durable state vector moves to this transaction's (a map Yjs makes anew
			// for each transaction and never changes afterwards).
			const accepted = { update, frame, stateAfter: tr.afterState, origin, acceptedAt };
			document.awaitStore(stored, accepted, this.storeSettled);
		});
		awareness.on(
			'update',
			({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
				const changed = [...added, ...updated, ...removed];
				if (changed.length === 0) return;
				const frame = encodeAwarenessMessage(encodeAwarenessUpdate(awareness, changed));
				for (const conn of document.connections) conn.send(frame);
			}
		);
	}

	/** An accepted update's store settled: see `observe` (called in the order accepted). */
	private readonly storeSettled: StoreSettled = (document, accepted, durable) => {
		if (!durable) {
			document.durableStalled = true;
			return;
		}
		this.options.metrics.persistLatency.observe((performance.now() - accepted.acceptedAt) / 1000);
		if (document.released) return;
		const { update, frame, origin } = accepted;
		if (document.durable) {
			Y.applyUpdate(document.durable, update, LOAD_ORIGIN);
			document.changed();
		}
		if (!document.durableStalled) document.durableState = accepted.stateAfter;
		if (this.options.limits.relay !== 'accepted') {
			for (const conn of document.connections) conn.send(frame);
		} else if (origin instanceof Connection && document.connections.has(origin)) {
			origin.send(frame);
		}
		this.options.hooks.changed(document.name, document.doc, update, origin);
	};

	/** Another process's stored update was applied: its room hears it now (it is durable). */
	private replicated(document: SyncDocument, update: Uint8Array): void {
		document.approxBytes += update.length;
		if (document.durable) {
			Y.applyUpdate(document.durable, update, LOAD_ORIGIN);
			document.changed();
		}
		const frame = encodeSyncUpdate(update);
		for (const conn of document.connections) conn.send(frame);
		this.options.hooks.changed(document.name, document.doc, update, REPLICA_ORIGIN);
	}

	release(document: SyncDocument): void {
		document.holds--;
		if (document.holds > 0 || this.closing) return;
		if (document.idleTimer) clearTimeout(document.idleTimer);
		document.idleTimer = setTimeout(() => this.unload(document), this.options.limits.idleUnloadMs);
		document.idleTimer.unref();
	}

	private unload(document: SyncDocument): void {
		document.idleTimer = null;
		const entry = this.entries.get(document.name);
		if (!entry || entry.document !== document || document.holds > 0 || entry.unloading) return;
		entry.unloading = (async () => {
			try {
				await this.options.hooks.unload(document);
			} finally {
				document.destroy();
				if (this.entries.get(document.name) === entry) this.entries.delete(document.name);
				this.options.log.debug({ doc: document.name }, 'document unloaded');
			}
		})();
	}
}
