// Clients of the sync-server for tests: the stock y-websocket provider in Node (through a `ws`
// subclass that adds the Cookie and Origin headers a browser would send), raw protocol clients
// for volume and fuzzing, and fixtures (users with sessions, order index rows, stored state).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Binary, type Db } from 'mongodb';
import WebSocket from 'ws';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebsocketProvider } from 'y-websocket';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { createEvent, type Actor, type OrderMeta, type Role } from '../../src/lib/order/index.ts';
import { createSession, SESSION_COOKIE } from '../../src/lib/shared/session.ts';
import type { Collections, Database, DocLogRowDoc, UserDoc } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import { createSyncClient, type SyncClient } from '../../src/lib/server/sync-client.ts';
import { startSyncServer } from './processes.ts';

export const TEST_ORIGIN = 'http://127.0.0.1:3000';

// every y-websocket provider in Node adds a process 'exit' listener
process.setMaxListeners(5_000);
export const TEST_SECRET = 'test-sync-secret-0123456789abcdef';

export interface SyncServerHandle extends Awaited<ReturnType<typeof startSyncServer>> {
	wsUrl: string;
}

const TEST_JOURNAL_DIR = join(tmpdir(), 'dispatch-test-journal');

/** The sync-server from source with test defaults (fast flush, known secret and origin). */
export async function startTestSyncServer(
	mongoUri: string,
	env: Record<string, string> = {}
): Promise<SyncServerHandle> {
	const server = await startSyncServer({
		MONGODB_URI: mongoUri,
		SYNC_SECRET: TEST_SECRET,
		ALLOWED_ORIGINS: TEST_ORIGIN,
		SYNC_PERSIST_DELAY_MS: '10',
		SYNC_REVOCATION_INTERVAL_MS: '1000',
		// (a folder per test database inside it; emptied and removed by every graceful stop)
		SYNC_JOURNAL_DIR: TEST_JOURNAL_DIR,
		...env
	});
	return Object.assign(server, { wsUrl: `ws://127.0.0.1:${server.port}` });
}

/** The web app's service channel to `server`, authenticated with the test secret. */
export function serviceClient(server: { url: string }): SyncClient {
	return createSyncClient({ baseUrl: server.url, secret: TEST_SECRET });
}

// ---- fixtures --------------------------------------------------------------------------------

export interface TestUser {
	userId: string;
	role: Role;
	name: string;
	sessionId: string;
	cookie: string;
}

/**
 * A user as tests, the benchmark and the Lighthouse script make them: verified, no usable
 * password (they sign in with a session made directly), a partner available with a vehicle.
 */
export function testUserDoc(userId: string, role: Role, name: string, now = new Date()): UserDoc {
	return {
		_id: userId,
		email: `${userId}@test.invalid`,
		name,
		role,
		passwordHash: 'not-a-real-hash',
		emailVerifiedAt: now,
		createdAt: now,
		updatedAt: now,
		...(role === 'partner'
			? { partner: { phone: '+10000000', vehicle: 'bicycle' as const, available: true } }
			: {})
	};
}

/** A session cookie for `userId`. */
export async function sessionCookie(c: Collections, userId: string): Promise<string> {
	return `${SESSION_COOKIE}=${(await createSession(c, userId)).token}`;
}

export async function createTestUser(
	c: Collections,
	role: Role,
	name = `${role} user`,
	userId = randomId(10)
): Promise<TestUser> {
	await c.users.insertOne(testUserDoc(userId, role, name));
	const { token, session } = await createSession(c, userId);
	return { userId, role, name, sessionId: session.id, cookie: `${SESSION_COOKIE}=${token}` };
}

/** The actor a test user writes order events as. */
export function actorOf(user: TestUser): Actor {
	return { userId: user.userId, role: user.role, name: user.name };
}

/**
 * An order as it is once a partner's claim won: the index row, the meta and the assignment
 * with its `accepted` event, written through `server`'s service channel. Returns its id.
 */
export async function assignedOrder(
	c: Collections,
	server: { url: string },
	customer: TestUser,
	partner: TestUser
): Promise<string> {
	const orderId = randomId(8);
	await insertOrderRow(c, orderId, customer.userId, partner.userId);
	const sync = serviceClient(server);
	await sync.initOrder(orderId, sampleMeta(orderId, customer.userId));
	await sync.assign(
		orderId,
		{ partnerId: partner.userId, partnerName: partner.name, claimedAt: new Date().toISOString() },
		createEvent(actorOf(partner), 'accepted')
	);
	return orderId;
}

/** The `orders` index row the room policy reads (customerId, partnerId). */
export async function insertOrderRow(
	c: Collections,
	orderId: string,
	customerId: string,
	partnerId: string | null = null
): Promise<void> {
	const now = new Date();
	await c.orders.insertOne({
		_id: orderId,
		customerId,
		customerName: 'Customer',
		partnerId,
		partnerName: partnerId ? 'Partner' : null,
		status: partnerId ? 'accepted' : 'pending',
		total: 1250,
		itemCount: 2,
		city: 'Springfield',
		createdAt: now,
		updatedAt: now,
		claimedAt: partnerId ? now : null,
		deliveredAt: null,
		cancelledAt: null,
		rating: null,
		conflicts: 0
	});
}

export function sampleMeta(orderId: string, customerId: string): OrderMeta {
	return {
		orderId,
		items: [{ productId: 'margherita', name: 'Margherita', quantity: 2, unitPrice: 625 }],
		total: 1250,
		address: { street: '1 Main St', city: 'Springfield', postcode: '12345' },
		phone: '+15550100',
		paymentMethod: 'cod',
		customerId,
		customerName: 'Customer',
		createdAt: new Date().toISOString()
	};
}

// ---- the stock provider ------------------------------------------------------------------------

function socketClassWith(
	headers: Record<string, string>
): new (address: string | URL, protocols?: string | string[]) => WebSocket {
	return class HeaderWebSocket extends WebSocket {
		constructor(address: string | URL, protocols?: string | string[]) {
			super(address, protocols, { headers });
		}
	};
}

export interface CloseInfo {
	code: number;
	reason: string;
}

export interface ProviderClient {
	doc: Y.Doc;
	provider: WebsocketProvider;
	closes: CloseInfo[];
	/** Resolves when the provider has synced (now or after a reconnect). */
	synced(timeoutMs?: number): Promise<void>;
	/** Resolves with the next close the server sends. */
	nextClose(timeoutMs?: number): Promise<CloseInfo>;
	destroy(): void;
}

export function connectProvider(options: {
	wsUrl: string;
	docName: string;
	cookie?: string;
	origin?: string;
	doc?: Y.Doc;
	/** Reconnect after a server close (the stock default); false for forgers. */
	reconnect?: boolean;
}): ProviderClient {
	const doc = options.doc ?? new Y.Doc();
	const headers: Record<string, string> = { origin: options.origin ?? TEST_ORIGIN };
	if (options.cookie) headers.cookie = options.cookie;
	const provider = new WebsocketProvider(options.wsUrl, options.docName, doc, {
		WebSocketPolyfill: socketClassWith(headers) as unknown as typeof globalThis.WebSocket,
		disableBc: true,
		maxBackoffTime: 1_000,
		...(options.reconnect === false ? { shouldReconnect: () => false } : {})
	});
	const closes: CloseInfo[] = [];
	const closeWaiters: Array<(info: CloseInfo) => void> = [];
	provider.on('connection-close', (event) => {
		if (!event) return;
		const info = { code: event.code, reason: String(event.reason ?? '') };
		closes.push(info);
		closeWaiters.splice(0).forEach((resolve) => resolve(info));
	});
	return {
		doc,
		provider,
		closes,
		synced: (timeoutMs = 20_000) =>
			provider.synced
				? Promise.resolve()
				: withTimeout(
						new Promise<void>((resolve) => {
							const handler = (state: boolean) => {
								if (!state) return;
								provider.off('sync', handler);
								resolve();
							};
							provider.on('sync', handler);
						}),
						timeoutMs,
						`sync of ${options.docName}`
					),
		nextClose: (timeoutMs = 20_000) =>
			withTimeout(
				new Promise<CloseInfo>((resolve) => closeWaiters.push(resolve)),
				timeoutMs,
				`close of ${options.docName}`
			),
		destroy: () => {
			provider.destroy();
			doc.destroy();
		}
	};
}

// ---- raw protocol clients ----------------------------------------------------------------------

export interface UpgradeOutcome {
	status: number;
	body: string;
}

/** Attempts a WebSocket upgrade and reports the HTTP status (101 when it opened). */
export function tryUpgrade(url: string, headers: Record<string, string>): Promise<UpgradeOutcome> {
	return withTimeout(
		new Promise<UpgradeOutcome>((resolve, reject) => {
			const ws = new WebSocket(url, { headers });
			ws.on('unexpected-response', (_req, res) => {
				let body = '';
				res.on('data', (chunk: Buffer) => (body += chunk.toString()));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
				res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
			});
			ws.on('open', () => {
				resolve({ status: 101, body: '' });
				ws.close();
			});
			ws.on('error', (error) => {
				if (!String(error.message).startsWith('Unexpected server response')) reject(error);
			});
		}),
		10_000,
		`upgrade ${url}`
	);
}

/**
 * A minimal y-protocols client over a raw `ws` socket: answers the server's step 1, applies step 2
 * and updates into its own Y.Doc, and can send arbitrary frames (fuzzing, volume).
 */
export class RawSyncClient {
	readonly closed: Promise<CloseInfo>;
	private listeners = new Set<() => void>();
	/** How many sync step 1 messages (the server asking for what this client has) it answered. */
	stepOnesAnswered = 0;

	private constructor(
		readonly socket: WebSocket,
		readonly doc: Y.Doc
	) {
		this.closed = new Promise((resolve) => {
			socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
		});
		socket.on('error', () => undefined);
		socket.on('message', (data: Buffer) => this.onMessage(new Uint8Array(data)));
	}

	/** Opens a socket; pass `doc` to reconnect with the state a previous connection synced. */
	static open(
		url: string,
		headers: Record<string, string>,
		options: { doc?: Y.Doc; timeoutMs?: number } = {}
	): Promise<RawSyncClient> {
		return withTimeout(
			new Promise<RawSyncClient>((resolve, reject) => {
				const ws = new WebSocket(url, { headers });
				const client = new RawSyncClient(ws, options.doc ?? new Y.Doc());
				ws.once('open', () => resolve(client));
				ws.once('unexpected-response', (_req, res) => {
					reject(new Error(`upgrade refused: ${res.statusCode}`));
					ws.terminate();
				});
				ws.once('error', reject);
			}),
			options.timeoutMs ?? 20_000,
			`open ${url}`
		);
	}

	get isOpen(): boolean {
		return this.socket.readyState === WebSocket.OPEN;
	}

	/** Sends sync step 1 so the server answers with everything this client lacks. */
	requestSync(): void {
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, 0);
		syncProtocol.writeSyncStep1(encoder, this.doc);
		this.send(encoding.toUint8Array(encoder));
	}

	send(frame: Uint8Array): void {
		if (this.isOpen) this.socket.send(frame);
	}

	/** Waits until `predicate` holds for this client's doc. */
	until(predicate: (doc: Y.Doc) => boolean, timeoutMs = 10_000): Promise<void> {
		if (predicate(this.doc)) return Promise.resolve();
		return withTimeout(
			new Promise<void>((resolve) => {
				const check = () => {
					if (predicate(this.doc)) {
						this.listeners.delete(check);
						resolve();
					}
				};
				this.listeners.add(check);
			}),
			timeoutMs,
			'raw client state'
		);
	}

	close(): void {
		this.socket.terminate();
	}

	private onMessage(frame: Uint8Array): void {
		try {
			const decoder = decoding.createDecoder(frame);
			if (decoding.readVarUint(decoder) !== 0) return; // awareness: not needed here
			const reply = encoding.createEncoder();
			encoding.writeVarUint(reply, 0);
			const kind = syncProtocol.readSyncMessage(decoder, reply, this.doc, 'server');
			if (kind === syncProtocol.messageYjsSyncStep1) this.stepOnesAnswered++;
			if (encoding.length(reply) > 1) this.send(encoding.toUint8Array(reply));
		} catch {
			return;
		}
		for (const listener of [...this.listeners]) listener();
	}
}

export function headersFor(user: { cookie: string }, origin = TEST_ORIGIN): Record<string, string> {
	return { cookie: user.cookie, origin };
}

// ---- storage -----------------------------------------------------------------------------------

const bytes = (binary: Binary) => new Uint8Array(binary.value());

/** Every update log row of a document, over every log generation, read without the server's code. */
async function logRowsOf(db: Db, docName?: string): Promise<DocLogRowDoc[]> {
	const collections = await db.listCollections({}, { nameOnly: true }).toArray();
	const rows: DocLogRowDoc[] = [];
	for (const { name } of collections) {
		if (!/^ydoc_log_\d+$/.test(name)) continue;
		try {
			const found = await db
				.collection<DocLogRowDoc>(name)
				.find(docName ? { doc: docName } : {})
				.toArray();
			rows.push(...found);
		} catch (error) {
			// the server dropped a drained generation after it was listed (FerretDB then fails the
			// read with "no such table" where MongoDB answers nothing): it holds nothing any more
			const still = await db.listCollections({ name }, { nameOnly: true }).toArray();
			if (still.length > 0) throw error;
		}
	}
	return rows.sort((a, b) => a.seq - b.seq);
}

/**
 * What the database holds for a document, read independently of the server's code. `log` is
 * every row still stored, `live` the rows its snapshot has not merged yet.
 */
export async function readStored(database: Database, docName: string) {
	const snapshot = await database.collections.docSnapshots.findOne({ _id: docName });
	const mergedSeq = snapshot?.mergedSeq ?? 0;
	const log = await logRowsOf(database.db, docName);
	const live = log.filter((row) => row.seq > mergedSeq);
	const doc = new Y.Doc();
	if (snapshot) Y.applyUpdate(doc, bytes(snapshot.update));
	for (const row of live) Y.applyUpdate(doc, bytes(row.update));
	const storedBytes =
		(snapshot ? bytes(snapshot.update).length + bytes(snapshot.stateVector).length : 0) +
		live.reduce((sum, row) => sum + bytes(row.update).length, 0);
	return { doc, snapshot, log, live, logEntries: live.length, storedBytes };
}

/** Update log rows stored, over every document (or one), merged or not. */
export async function countLogEntries(database: Database, docName?: string): Promise<number> {
	return (await logRowsOf(database.db, docName)).length;
}

// ---- helpers -----------------------------------------------------------------------------------

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	return Promise.race([
		promise,
		new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
		})
	]).finally(() => clearTimeout(timer));
}

/** Resolves once `predicate()` holds for the document, re-checking on every update (bounded). */
export function until(
	doc: Y.Doc,
	predicate: () => boolean,
	what: string,
	timeoutMs = 10_000
): Promise<void> {
	if (predicate()) return Promise.resolve();
	return new Promise<void>((resolve, reject) => {
		const check = () => {
			if (!predicate()) return;
			clearTimeout(timer);
			doc.off('update', check);
			resolve();
		};
		const timer = setTimeout(() => {
			doc.off('update', check);
			reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
		}, timeoutMs);
		doc.on('update', check);
	});
}

/** Polls `check` until it returns a truthy value. */
export async function eventually<T>(
	check: () => Promise<T> | T,
	timeoutMs = 10_000,
	what = 'condition'
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		try {
			const value = await check();
			if (value) return value;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline) {
			throw new Error(
				`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

/** Frames by hand, for tests that send what a stock client never would. */
export const frames = {
	update(update: Uint8Array): Uint8Array {
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, 0);
		syncProtocol.writeUpdate(encoder, update);
		return encoding.toUint8Array(encoder);
	},
	step1(doc: Y.Doc): Uint8Array {
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, 0);
		syncProtocol.writeSyncStep1(encoder, doc);
		return encoding.toUint8Array(encoder);
	},
	awareness(update: Uint8Array): Uint8Array {
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, 1);
		encoding.writeVarUint8Array(encoder, update);
		return encoding.toUint8Array(encoder);
	},
	queryAwareness(): Uint8Array {
		return new Uint8Array([3]);
	}
};

// ---- a database connection that can be cut ------------------------------------------------------

export interface TcpProxy {
	port: number;
	/** Drops every open connection and refuses new ones (the database "goes away"). */
	cut(): void;
	/** Accepts connections again. */
	restore(): void;
	close(): Promise<void>;
}

/** A loopback TCP proxy to `target`, for simulating a database outage. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
	const { createServer, connect } = await import('node:net');
	const sockets = new Set<import('node:net').Socket>();
	let down = false;
	const server = createServer((client) => {
		if (down) {
			client.destroy();
			return;
		}
		const upstream = connect(target.port, target.host);
		for (const socket of [client, upstream]) {
			sockets.add(socket);
			socket.on('close', () => sockets.delete(socket));
			socket.on('error', () => undefined);
		}
		client.pipe(upstream).pipe(client);
		client.on('close', () => upstream.destroy());
		upstream.on('close', () => client.destroy());
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address() as import('node:net').AddressInfo;
	return {
		port: address.port,
		cut() {
			down = true;
			for (const socket of sockets) socket.destroy();
		},
		restore() {
			down = false;
		},
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			})
	};
}

/** The same database URI, reached through `port` on 127.0.0.1. */
export function uriThroughPort(uri: string, port: number): string {
	const url = new URL(uri);
	url.host = `127.0.0.1:${port}`;
	return url.toString();
}

/** Reads one metric's samples from the Prometheus text format. */
export async function readMetrics(baseUrl: string): Promise<Map<string, number>> {
	const text = await (await fetch(`${baseUrl}/metrics`)).text();
	const samples = new Map<string, number>();
	for (const line of text.split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const space = line.lastIndexOf(' ');
		samples.set(line.slice(0, space), Number(line.slice(space + 1)));
	}
	return samples;
}
