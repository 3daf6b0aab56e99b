// The generic sync core: an HTTP server whose WebSocket upgrades, once admitted, become sockets
// (sockets.ts) in rooms of a Y.Doc (rooms.ts), each socket's messages handled by the y-protocols
// loop (message-loop.ts), and the extensions (extension.ts) for everything application-specific.
// It knows nothing of orders.
import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { applyAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Connection } from './connection.ts';
import type { SyncDocument } from './document.ts';
import { createCoreMetrics, type CoreMetrics } from './metrics.ts';
import { Refusal } from './refusal.ts';
import { REPLICA_ORIGIN, Rooms, withTimeout } from './rooms.ts';
import { Semaphore } from './semaphore.ts';
import { Sockets } from './sockets.ts';
import { ExtensionChain } from './extension-chain.ts';
import type { SyncExtension } from './extension.ts';
import type { Logger, Principal, RoomLease, SyncLimits } from './types.ts';

const DOC_NAME = /^[\x21-\x7e]{1,200}$/;

/**
 * Names the process in every HTTP response and WebSocket upgrade (answered or refused), so that
 * behind a load balancer one can tell which process answered (docs/sync-server.md, Operability).
 * @internal for tests: process-header.test.ts, tests/integration/nginx.test.ts
 */
export const PROCESS_HEADER = 'x-sync-process';

export interface SyncServerOptions<P extends Principal> {
	/**
	 * The extensions, in the order their hooks run, made for this server (so those that write
	 * documents or read sockets hold it from the start).
	 */
	extensions: (server: SyncServer<P>) => ReadonlyArray<SyncExtension<P>>;
	limits: SyncLimits;
	log: Logger;
	registry: Registry;
	/** This process's id in `x-sync-process` (its id in Redis); 12 random hex digits if not given. */
	processId?: string;
}

export class SyncServer<P extends Principal> {
	readonly http: Server;
	readonly metrics: CoreMetrics;
	/** Sent as `x-sync-process` (PROCESS_HEADER) with every response and upgrade. */
	readonly processId: string;
	private readonly wss: WebSocketServer;
	private readonly rooms: Rooms<P>;
	private readonly sockets: Sockets<P>;
	private readonly authGate: Semaphore;
	private readonly hooks: ExtensionChain<P>;
	private readonly limits: SyncLimits;
	private readonly log: Logger;
	private pendingUpgrades = 0;
	private closing = false;
	private closed: Promise<void> | null = null;
	private pingTimer: NodeJS.Timeout | null = null;

	constructor(options: SyncServerOptions<P>) {
		this.limits = options.limits;
		this.log = options.log;
		this.processId = options.processId ?? randomBytes(6).toString('hex');
		this.metrics = createCoreMetrics(options.registry, {
			connections: () => this.sockets.size,
			documents: () => this.rooms.count
		});
		this.authGate = new Semaphore(options.limits.authConcurrency);
		this.wss = new WebSocketServer({
			noServer: true,
			maxPayload: options.limits.maxMessageBytes,
			perMessageDeflate: false,
			clientTracking: false
		});
		this.wss.on('headers', (headers) => headers.push(`${PROCESS_HEADER}: ${this.processId}`));
		this.http = createServer((req, res) => {
			res.setHeader(PROCESS_HEADER, this.processId);
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
		const parts = { hooks: this.hooks, limits: this.limits, log: this.log, metrics: this.metrics };
		this.rooms = new Rooms(parts);
		this.sockets = new Sockets({ ...parts, rooms: this.rooms });
	}

	listen(port: number, host: string): Promise<AddressInfo> {
		return new Promise((resolve, reject) => {
			this.http.once('error', reject);
			this.http.listen({ port, host, backlog: this.limits.listenBacklog }, () => {
				this.http.off('error', reject);
				this.pingTimer = setInterval(
					() => this.sockets.sweepKeepAlive(),
					this.limits.pingIntervalMs
				);
				this.pingTimer.unref();
				this.hooks.start().then(() => resolve(this.http.address() as AddressInfo), reject);
			});
		});
	}

	/** Open sockets (for application sweeps such as session revocation). */
	connections(): Iterable<Connection<P>> {
		return this.sockets.values();
	}

	get documentCount(): number {
		return this.rooms.count;
	}

	isLoaded(name: string): boolean {
		return this.rooms.isLoaded(name);
	}

	/** True while at least one socket has the document open, here or (sharing documents) on another process. */
	isWatched(name: string): boolean {
		return this.rooms.isWatched(name) || this.hooks.watchedElsewhere(name);
	}

	/** The documents with at least one socket open on this process. */
	watchedHere(): string[] {
		return this.rooms.watchedNames();
	}

	/** A socket on another process opened `name`: the extensions' `joinedElsewhere` hooks. */
	joinedElsewhere(name: string): void {
		this.hooks.joinedElsewhere(name);
	}

	/** A loaded document (not loading or unloading), or null. */
	loadedDocument(name: string): SyncDocument | null {
		return this.rooms.loadedDocument(name);
	}

	/** The names of the documents loaded now. */
	loadedNames(): string[] {
		return this.rooms.loadedNames();
	}

	/**
	 * Applies an update another process accepted and stored to the document, if it is loaded
	 * here: the room hears it; it is neither validated, stored nor reported again. True if applied.
	 */
	replicate(name: string, update: Uint8Array): boolean {
		const document = this.rooms.loadedDocument(name);
		if (!document) return false;
		Y.applyUpdate(document.doc, update, REPLICA_ORIGIN);
		return true;
	}

	/** Applies another process's awareness update to a loaded document (relayed to its room). */
	replicateAwareness(name: string, update: Uint8Array): void {
		const document = this.rooms.loadedDocument(name);
		if (document) applyAwarenessUpdate(document.awareness, update, REPLICA_ORIGIN);
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
		const document = await this.rooms.acquire(name);
		try {
			return await task(document);
		} finally {
			this.rooms.release(document);
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
		await this.sockets.closeAll();
		await this.rooms.closeAll();
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
			return this.refuseUpgrade(socket, new Refusal(400, 'invalid_room', 'invalid document name'));
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
			document = await this.rooms.acquire(docName);
			if (socket.destroyed || this.closing) return;
			const doc = document;
			this.wss.handleUpgrade(req, socket, head, (ws) => {
				attached = true;
				this.sockets.attach(ws, admitted.principal, doc, lease);
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
				if (document) this.rooms.release(document);
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
				`Connection: close\r\n${PROCESS_HEADER}: ${this.processId}\r\n` +
				'Content-Type: application/json\r\n' +
				`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
		);
		setTimeout(() => socket.destroy(), 1_000).unref();
	}
}
