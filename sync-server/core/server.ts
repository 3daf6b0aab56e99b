// The generic sync core: an HTTP server whose WebSocket upgrades become rooms of a Y.Doc, the
// y-protocols message loop, and named hooks (types.ts) for everything application-specific.
// It knows nothing about orders.
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
	encodeAwarenessUpdate,
	removeAwarenessStates,
	applyAwarenessUpdate
} from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode, type RejectionKind } from './close-codes.ts';
import { Connection, type ConnectionOptions } from './connection.ts';
import { SyncDocument, type StoreSettled } from './document.ts';
import { createCoreMetrics, type CoreMetrics } from './metrics.ts';
import {
	decodeAwarenessUpdate,
	decodeClientMessage,
	encodeAwarenessEntries,
	encodeAwarenessMessage,
	encodeSyncUpdate,
	isEmptyUpdate,
	ProtocolError,
	type AwarenessEntry
} from './protocol.ts';
import { Refusal } from './refusal.ts';
import { Semaphore } from './semaphore.ts';
import { ExtensionChain } from './extension-chain.ts';
import type { SyncExtension } from './extension.ts';
import type { Logger, Principal, RoomLease, SyncLimits } from './types.ts';

/** Transaction origin of the state applied at load (it is already stored, so it is not stored again). */
export const LOAD_ORIGIN = Symbol('load');

const DOC_NAME = /^[\x21-\x7e]{1,200}$/;
/** A sanity bound on one awareness message (stock clients relay the whole room's presence). */
const MAX_AWARENESS_ENTRIES = 10_000;

interface DocumentEntry {
	document: SyncDocument;
	ready: Promise<void>;
	loaded: boolean;
	unloading: Promise<void> | null;
}

export interface SyncServerOptions<P extends Principal> {
	/**
	 * The extensions, in the order their hooks run, made for this server (so those that write
	 * documents or read sockets hold it from the start).
	 */
	extensions: (server: SyncServer<P>) => ReadonlyArray<SyncExtension<P>>;
	limits: SyncLimits;
	log: Logger;
	registry: Registry;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function toBytes(data: RawData): Uint8Array {
	// always a private copy: ws may hand out views into pooled buffers, and Yjs keeps references
	if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
	if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
	return new Uint8Array(data);
}

export class SyncServer<P extends Principal> {
	readonly http: Server;
	readonly metrics: CoreMetrics;
	private readonly wss: WebSocketServer;
	private readonly documents = new Map<string, DocumentEntry>();
	private readonly sockets = new Set<Connection<P>>();
	private readonly authGate: Semaphore;
	private readonly loadGate: Semaphore;
	private readonly hooks: ExtensionChain<P>;
	private readonly limits: SyncLimits;
	private readonly log: Logger;
	private readonly connectionOptions: ConnectionOptions;
	private readonly clientUpdates;
	private readonly serverUpdates;
	private pendingUpgrades = 0;
	private closing = false;
	private closed: Promise<void> | null = null;
	private pingTimer: NodeJS.Timeout | null = null;

	constructor(options: SyncServerOptions<P>) {
		this.limits = options.limits;
		this.log = options.log;
		this.metrics = createCoreMetrics(options.registry, {
			connections: () => this.sockets.size,
			documents: () => this.documents.size
		});
		this.clientUpdates = this.metrics.updates.labels({ origin: 'client' });
		this.serverUpdates = this.metrics.updates.labels({ origin: 'server' });
		this.authGate = new Semaphore(options.limits.authConcurrency);
		this.loadGate = new Semaphore(options.limits.loadConcurrency);
		this.connectionOptions = {
			messagesPerSecond: this.limits.messagesPerSecond,
			messageBurst: this.limits.messageBurst,
			maxBufferedBytes: this.limits.maxBufferedBytes,
			log: this.log,
			onRejected: (kind) => this.metrics.rejections.inc({ reason: kind })
		};
		this.wss = new WebSocketServer({
			noServer: true,
			maxPayload: options.limits.maxMessageBytes,
			perMessageDeflate: false,
			clientTracking: false
		});
		this.http = createServer((req, res) => {
			this.hooks.handleHttp(req, res).catch((error: unknown) => {
				this.log.error({ err: error, url: req.url }, 'http handler failed');
				if (!res.headersSent) {
					res.writeHead(500, { 'content-type': 'application/json' });
					res.end(JSON.stringify({ error: { code: 'internal', message: 'internal error' } }));
				} else res.destroy();
			});
		});
		this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
			void this.handleUpgrade(req, socket, head);
		});
		this.http.on('clientError', (_error, socket) => {
			if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
			else socket.destroy();
		});
		this.hooks = new ExtensionChain(options.extensions(this), this.log);
	}

	listen(port: number, host: string): Promise<AddressInfo> {
		return new Promise((resolve, reject) => {
			this.http.once('error', reject);
			this.http.listen({ port, host, backlog: this.limits.listenBacklog }, () => {
				this.http.off('error', reject);
				this.pingTimer = setInterval(() => this.sweepKeepAlive(), this.limits.pingIntervalMs);
				this.pingTimer.unref();
				this.hooks.start().then(() => resolve(this.http.address() as AddressInfo), reject);
			});
		});
	}

	/** Open sockets (for application sweeps such as session revocation). */
	connections(): Iterable<Connection<P>> {
		return this.sockets;
	}

	get documentCount(): number {
		return this.documents.size;
	}

	isLoaded(name: string): boolean {
		return this.documents.get(name)?.loaded === true;
	}

	/** A loaded document's whole state (everything accepted), or null when it is not loaded. */
	currentState(name: string): Uint8Array | null {
		const entry = this.documents.get(name);
		if (!entry?.loaded || entry.document.released) return null;
		return Y.encodeStateAsUpdate(entry.document.doc);
	}

	/** True while at least one socket has the document open. */
	isWatched(name: string): boolean {
		return (this.documents.get(name)?.document.connections.size ?? 0) > 0;
	}

	/**
	 * Runs `task` with the document loaded (loading it if needed) and kept in memory meanwhile:
	 * for server-authored writes. Changes made in `task` are stored and broadcast like any update.
	 */
	async withDocument<T>(
		name: string,
		task: (document: SyncDocument) => Promise<T> | T
	): Promise<T> {
		if (this.closing) throw new Refusal(503, 'server_busy', 'server shutting down');
		const document = await this.acquire(name);
		try {
			return await task(document);
		} finally {
			this.release(document);
		}
	}

	/**
	 * Stops gracefully: the extensions' `stopping` hooks (which may still write documents), then
	 * no new sockets, every socket closed (1001), every document released, then `stopped`.
	 */
	close(): Promise<void> {
		return (this.closed ??= this.closeOnce());
	}

	private async closeOnce(): Promise<void> {
		await this.hooks.stopping();
		this.closing = true;
		if (this.pingTimer) clearInterval(this.pingTimer);
		const stopped = new Promise<void>((resolve) => this.http.close(() => resolve()));
		this.http.closeIdleConnections();
		const socketsClosed = [...this.sockets].map(
			(conn) =>
				new Promise<void>((resolve) => {
					if (conn.socket.readyState === conn.socket.CLOSED) return resolve();
					conn.socket.once('close', () => resolve());
					conn.close(CloseCode.goingAway, 'server shutting down');
				})
		);
		await withTimeout(Promise.all(socketsClosed), 2_000, 'closing sockets').catch(() => {
			for (const conn of this.sockets) conn.socket.terminate();
		});
		for (const entry of this.documents.values()) {
			if (entry.document.idleTimer) clearTimeout(entry.document.idleTimer);
		}
		await Promise.allSettled([...this.documents.values()].map((e) => e.unloading ?? e.ready));
		for (const entry of this.documents.values()) entry.document.destroy();
		this.documents.clear();
		this.http.closeAllConnections();
		await withTimeout(stopped, 2_000, 'closing http server').catch(() => undefined);
		await this.hooks.stopped();
	}

	// ---- upgrades ------------------------------------------------------------------------------

	private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
		const started = performance.now();
		socket.on('error', (error) => this.log.debug({ err: error.message }, 'upgrade socket error'));
		if (this.closing)
			return this.refuseUpgrade(socket, new Refusal(503, 'server_busy', 'server shutting down'));
		const docName = this.docNameOf(req);
		if (docName === null) {
			return this.refuseUpgrade(
				socket,
				new Refusal(400, 'forbidden_room', 'invalid document name')
			);
		}
		if (this.pendingUpgrades >= this.limits.maxPendingUpgrades) {
			return this.refuseUpgrade(socket, new Refusal(503, 'server_busy', 'server busy, try again'));
		}
		this.pendingUpgrades++;
		let lease: RoomLease | void = undefined;
		let document: SyncDocument | null = null;
		let attached = false;
		try {
			const admitted = await this.authGate.run(async () => {
				if (socket.destroyed) return null;
				const principal = await this.hooks.authenticate(req);
				const roomLease = await this.hooks.authorizeRoom(principal, docName, req);
				return { principal, roomLease };
			});
			if (!admitted) return;
			lease = admitted.roomLease;
			if (socket.destroyed) return;
			document = await this.acquire(docName);
			if (socket.destroyed || this.closing) return;
			const doc = document;
			this.wss.handleUpgrade(req, socket, head, (ws) => {
				attached = true;
				this.attach(ws, admitted.principal, doc, lease);
				this.metrics.upgradeSeconds.observe((performance.now() - started) / 1000);
			});
		} catch (error) {
			if (error instanceof Refusal) return this.refuseUpgrade(socket, error, req);
			this.log.error({ err: error, doc: docName }, 'upgrade failed');
			this.refuseUpgrade(
				socket,
				new Refusal(503, 'document_unavailable', 'temporarily unavailable')
			);
		} finally {
			this.pendingUpgrades--;
			// ws.handleUpgrade completes synchronously; if it did not attach, the handshake was bad
			if (!attached) {
				lease?.release();
				if (document) this.release(document);
			}
		}
	}

	private docNameOf(req: IncomingMessage): string | null {
		try {
			const path = new URL(req.url ?? '/', 'http://localhost').pathname;
			const name = decodeURIComponent(path.slice(1));
			return DOC_NAME.test(name) ? name : null;
		} catch {
			return null;
		}
	}

	private refuseUpgrade(socket: Duplex, refusal: Refusal, req?: IncomingMessage): void {
		this.metrics.rejections.inc({ reason: refusal.kind });
		this.log.info(
			{ status: refusal.status, kind: refusal.kind, url: req?.url },
			`upgrade refused: ${refusal.reason}`
		);
		if (!socket.writable) {
			socket.destroy();
			return;
		}
		const body = JSON.stringify({ error: { code: refusal.kind, message: refusal.reason } });
		socket.end(
			`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
				'Connection: close\r\nContent-Type: application/json\r\n' +
				`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
		);
		setTimeout(() => socket.destroy(), 1_000).unref();
	}

	// ---- connections ---------------------------------------------------------------------------

	private attach(
		ws: WebSocket,
		principal: P,
		document: SyncDocument,
		lease: RoomLease | void
	): void {
		const conn = new Connection<P>(ws, principal, document, lease, this.connectionOptions);
		this.sockets.add(conn);
		document.connections.add(conn as Connection);
		ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
		ws.on('pong', () => (conn.alive = true));
		ws.on('error', (error: Error & { code?: string }) => this.onSocketError(conn, error));
		ws.once('close', () => this.detach(conn));
		this.log.debug({ conn: conn.id, user: principal.id, doc: document.name }, 'socket open');
		this.hooks.joined(document);
		// ask the client for what the server lacks; the client asks for the rest with its own step 1
		conn.send(document.syncStep1());
		const present = [...document.awareness.getStates().keys()];
		if (present.length > 0) {
			conn.send(encodeAwarenessMessage(encodeAwarenessUpdate(document.awareness, present)));
		}
	}

	private onSocketError(conn: Connection<P>, error: Error & { code?: string }): void {
		// ws has already sent the matching close frame (1009 for size, 1002/1007 for bad frames)
		const kind: RejectionKind =
			error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
				? 'message_too_large'
				: 'malformed_message';
		if (conn.closed) return;
		this.metrics.rejections.inc({ reason: kind });
		this.log.info(
			{ conn: conn.id, user: conn.principal.id, doc: conn.document.name, kind, code: error.code },
			`socket closed: ${error.message}`
		);
		conn.closed = true;
	}

	private detach(conn: Connection<P>): void {
		if (!this.sockets.delete(conn)) return;
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
		this.log.debug({ conn: conn.id, doc: document.name }, 'socket closed');
		this.release(document);
	}

	private sweepKeepAlive(): void {
		for (const conn of this.sockets) {
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

	// ---- the message loop ----------------------------------------------------------------------

	private onMessage(conn: Connection<P>, data: RawData, isBinary: boolean): void {
		conn.alive = true;
		if (conn.closed) return;
		this.metrics.messages.inc();
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
				this.log.error(
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
			verdict = this.hooks.validateUpdate(document, update, conn, decoded);
		} catch (error) {
			this.log.info({ err: error, conn: conn.id }, 'update validation threw');
			verdict = { ok: false as const, reason: 'malformed update' };
		}
		if (!verdict.ok && 'resync' in verdict) {
			this.metrics.rejections.inc({ reason: 'resync_requested' });
			conn.send(document.syncStep1());
			return;
		}
		if (!verdict.ok) {
			conn.reject('write_rejected', CloseCode.writeRefused, verdict.reason, verdict.reason);
			return;
		}
		if (verdict.changes === false) return;
		if (
			document.approxBytes + update.length > this.limits.maxDocumentBytes &&
			document.exactBytes() + update.length > this.limits.maxDocumentBytes
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
			if (conn.awarenessClients.size >= this.limits.maxAwarenessClientsPerConnection) {
				conn.reject('awareness_rejected', CloseCode.policyViolation, 'too many awareness clients');
				return;
			}
			document.awarenessOwners.set(entry.clientId, conn as Connection);
			document.retiredAwareness.delete(entry.clientId);
			conn.awarenessClients.add(entry.clientId);
			accepted.push(entry);
		}
		if (accepted.length === 0) return;
		for (const entry of accepted) {
			if (entry.state !== null && this.hooks.stampsAwareness) {
				entry.state = this.hooks.stampAwareness(conn, entry.state as Record<string, unknown>);
			}
		}
		applyAwarenessUpdate(document.awareness, encodeAwarenessEntries(accepted), conn);
	}

	// ---- documents -----------------------------------------------------------------------------

	private async acquire(name: string): Promise<SyncDocument> {
		for (;;) {
			const existing = this.documents.get(name);
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
		const document = new SyncDocument(name, { durableReplica: this.limits.relay === 'durable' });
		const entry: DocumentEntry = {
			document,
			ready: Promise.resolve(),
			loaded: false,
			unloading: null
		};
		entry.ready = this.loadGate
			.run(() => withTimeout(this.hooks.load(name), this.limits.loadTimeoutMs, 'load'))
			.then((state) => {
				if (state) {
					Y.applyUpdate(document.doc, state, LOAD_ORIGIN);
					if (document.durable) Y.applyUpdate(document.durable, state, LOAD_ORIGIN);
				}
				document.durableState = Y.decodeStateVector(Y.encodeStateVector(document.doc));
				document.approxBytes = state?.length ?? 0;
				this.hooks.loaded(document);
				this.observe(document);
				entry.loaded = true;
				this.metrics.loads.inc({ kind: name.split('/', 1)[0] });
			})
			.catch((error: unknown) => {
				// never served and never stored: an empty document must not overwrite a real one
				this.metrics.loadFailures.inc();
				this.log.error({ err: error, doc: name }, 'document load failed; not served');
				if (this.documents.get(name) === entry) this.documents.delete(name);
				document.destroy();
				throw new Refusal(503, 'document_unavailable', 'document unavailable, try again later');
			});
		// the rejection is handled by every acquirer; this keeps it from being reported as unhandled
		entry.ready.catch(() => undefined);
		this.documents.set(name, entry);
		return entry;
	}

	/** Wires a loaded document: store, broadcast and notify on every change. */
	private observe(document: SyncDocument): void {
		const { doc, awareness, name } = document;
		doc.on('update', (update: Uint8Array, origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
			document.liveChanged();
			if (!document.durable) document.changed();
			if (origin === LOAD_ORIGIN) return;
			(origin instanceof Connection ? this.clientUpdates : this.serverUpdates).inc();
			document.approxBytes += update.length;
			const acceptedAt = performance.now();
			const stored = this.hooks.store(name, update);
			const frame = encodeSyncUpdate(update);
			if (this.limits.relay === 'accepted') {
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
		this.metrics.persistLatency.observe((performance.now() - accepted.acceptedAt) / 1000);
		if (document.released) return;
		const { update, frame, origin } = accepted;
		if (document.durable) {
			Y.applyUpdate(document.durable, update, LOAD_ORIGIN);
			document.changed();
		}
		if (!document.durableStalled) document.durableState = accepted.stateAfter;
		if (this.limits.relay !== 'accepted') {
			for (const conn of document.connections) conn.send(frame);
		} else if (origin instanceof Connection && document.connections.has(origin)) {
			origin.send(frame);
		}
		this.hooks.changed(document.name, document.doc, update, origin);
	};

	private release(document: SyncDocument): void {
		document.holds--;
		if (document.holds > 0 || this.closing) return;
		if (document.idleTimer) clearTimeout(document.idleTimer);
		document.idleTimer = setTimeout(() => this.unload(document), this.limits.idleUnloadMs);
		document.idleTimer.unref();
	}

	private unload(document: SyncDocument): void {
		document.idleTimer = null;
		const entry = this.documents.get(document.name);
		if (!entry || entry.document !== document || document.holds > 0 || entry.unloading) return;
		entry.unloading = (async () => {
			try {
				await this.hooks.unload(document);
			} finally {
				document.destroy();
				if (this.documents.get(document.name) === entry) this.documents.delete(document.name);
				this.log.debug({ doc: document.name }, 'document unloaded');
			}
		})();
	}
}
