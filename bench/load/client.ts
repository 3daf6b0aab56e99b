// One simulated connection: a raw `ws` socket speaking y-protocols (in either wire format) to one
// document, a Y.Doc of its own, and order events appended at the end of `events` exactly as the
// apps do. A client that moves to another order opens a new BenchClient (a new document).
import WebSocket from 'ws';
import * as Y from 'yjs';
import { ROOT_EVENTS, type Role } from '../../src/lib/order/index.ts';
import type { WireProtocol } from './protocol.ts';

/** Transaction origin of the client's own appends (so it does not measure its own events). */
const LOCAL = Symbol('local');
const REMOTE = Symbol('remote');

export interface ClientIdentity {
	index: number;
	/** The document slot this client follows (bench/load/generator.ts). */
	docIndex: number;
	docName: string;
	userId: string;
	role: Role;
	/** `Cookie` header value (ours); peers get the same headers and ignore them. */
	cookie: string;
	origin: string;
}

export interface ClientEvents {
	/** The first sync of this connection completed (the server's step 2 arrived). */
	synced(client: BenchClient): void;
	/** A connection attempt failed before it synced. */
	failed(client: BenchClient, reason: string): void;
	/** A synced socket closed. */
	closed(client: BenchClient, code: number, reason: string): void;
	/** Another client's event arrived in this client's document. */
	received(client: BenchClient, value: unknown, at: number): void;
}

export type ClientState = 'idle' | 'connecting' | 'synced' | 'closed';

export class BenchClient {
	readonly doc = new Y.Doc();
	state: ClientState = 'idle';
	attempts = 0;
	/** Updates this client sent, and their encoded size (the Yjs update, without framing). */
	updatesSent = 0;
	updateBytesSent = 0;
	/** Update messages the server relayed to this client (ours echoes the sender's too). */
	updatesReceived = 0;
	connectStartedAt = 0;
	syncedAt = 0;
	private socket: WebSocket | null = null;
	private readonly events: Y.Array<unknown>;

	constructor(
		readonly identity: ClientIdentity,
		private readonly protocol: WireProtocol,
		private readonly wsBase: string,
		private readonly on: ClientEvents
	) {
		this.events = this.doc.getArray(ROOT_EVENTS);
		this.events.observe((event) => {
			if (event.transaction.origin === LOCAL) return;
			const at = performance.now();
			for (const change of event.changes.delta) {
				if (!change.insert || !Array.isArray(change.insert)) continue;
				for (const value of change.insert as unknown[]) this.on.received(this, value, at);
			}
		});
		this.doc.on('update', (update: Uint8Array, origin: unknown) => {
			if (origin !== LOCAL) return;
			this.updatesSent++;
			this.updateBytesSent += update.length;
			this.send(this.protocol.update(this.identity.docName, update));
		});
	}

	get isSynced(): boolean {
		return this.state === 'synced';
	}

	connect(): void {
		if (this.state === 'connecting' || this.state === 'synced') return;
		this.state = 'connecting';
		this.attempts++;
		this.connectStartedAt = performance.now();
		const { docName, cookie, origin } = this.identity;
		const socket = new WebSocket(this.protocol.url(this.wsBase, docName), {
			headers: { cookie, origin },
			perMessageDeflate: false,
			handshakeTimeout: 30_000
		});
		this.socket = socket;
		let settled = false;
		const fail = (reason: string) => {
			if (settled || this.socket !== socket) return;
			settled = true;
			this.state = 'idle';
			this.socket = null;
			socket.terminate();
			this.on.failed(this, reason);
		};
		socket.on('unexpected-response', (_req, res) => {
			res.resume();
			fail(`HTTP ${res.statusCode ?? '?'}`);
		});
		socket.on('error', (error) => fail(error.message));
		socket.on('open', () => {
			for (const frame of this.protocol.opening(docName, this.doc)) socket.send(frame);
		});
		socket.on('message', (data: Buffer, isBinary) => {
			if (!isBinary || this.socket !== socket) return;
			let received;
			try {
				received = this.protocol.receive(new Uint8Array(data), docName, this.doc, REMOTE);
			} catch (error) {
				fail(`bad frame: ${(error as Error).message}`);
				return;
			}
			if (received.reply) socket.send(received.reply);
			if (received.kind === 'update') this.updatesReceived++;
			if (received.kind === 'sync-step2' && this.state === 'connecting') {
				settled = true;
				this.state = 'synced';
				this.syncedAt = performance.now();
				this.on.synced(this);
			}
		});
		socket.on('close', (code, reason) => {
			if (this.socket !== socket) return;
			if (this.state === 'connecting') {
				fail(`closed ${code} ${reason.toString()}`);
				return;
			}
			this.socket = null;
			const wasSynced = this.state === 'synced';
			this.state = 'closed';
			if (wasSynced) this.on.closed(this, code, reason.toString());
		});
	}

	/** Appends one event at the end of `events` (what a status change in the apps does). */
	append(value: Record<string, unknown>): boolean {
		if (this.state !== 'synced') return false;
		this.doc.transact(() => this.events.push([value]), LOCAL);
		return true;
	}

	/** The `type` of every event in this client's copy of the document, in order. */
	eventTypes(): unknown[] {
		return this.events.toArray().map((event) => (event as { type?: unknown } | null)?.type);
	}

	/** Any local change (e.g. the customer's rating), sent like the apps send it. */
	write(change: (doc: Y.Doc) => void): boolean {
		if (this.state !== 'synced') return false;
		this.doc.transact(() => change(this.doc), LOCAL);
		return true;
	}

	/** The size of this client's whole document state, encoded. */
	stateBytes(): number {
		return Y.encodeStateAsUpdate(this.doc).length;
	}

	/**
	 * Leaves the document as a closing app does: a close handshake, so that frames already sent
	 * (the last event) reach the server before it sees the socket go; cut after `timeoutMs`.
	 * No callbacks fire for this connection afterwards, and its document is dropped.
	 */
	leave(timeoutMs = 5_000): void {
		const socket = this.socket;
		this.socket = null;
		this.state = 'closed';
		this.doc.destroy();
		if (!socket) return;
		if (socket.readyState !== WebSocket.OPEN) {
			socket.terminate();
			return;
		}
		socket.close(1000);
		const cut = setTimeout(() => socket.terminate(), timeoutMs);
		cut.unref();
		socket.once('close', () => clearTimeout(cut));
	}

	close(): void {
		const socket = this.socket;
		this.socket = null;
		this.state = 'closed';
		socket?.terminate();
	}

	destroy(): void {
		this.close();
		this.doc.destroy();
	}

	private send(frame: Uint8Array): void {
		const socket = this.socket;
		if (socket && socket.readyState === WebSocket.OPEN) socket.send(frame);
	}
}
