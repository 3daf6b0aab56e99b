// The open sockets with real WebSockets on 127.0.0.1 and in-memory rooms: what a socket gets when
// it joins, what its close releases, the keep-alive sweep and a graceful close of all of them.
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ExtensionChain } from './extension-chain.ts';
import { createCoreMetrics } from './metrics.ts';
import { decodeClientMessage } from './protocol.ts';
import { Rooms } from './rooms.ts';
import { Sockets } from './sockets.ts';
import { quietLogger, testLimits } from './test-fixtures.ts';
import type { Principal } from './types.ts';

const LIMITS = testLimits();

const servers: WebSocketServer[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
	for (const client of clients.splice(0)) client.terminate();
	await Promise.all(
		servers.splice(0).map((wss) => new Promise((resolve) => wss.close(() => resolve(null))))
	);
});

/** Sockets behind a WebSocket server on 127.0.0.1: every socket joins document `doc`. */
async function socketsOnLoopback() {
	const joined: string[] = [];
	const released: string[] = [];
	const hooks = new ExtensionChain<Principal>(
		[
			{
				name: 'memory',
				load: async () => null,
				store: async () => undefined,
				joined: (document) => void joined.push(document.name)
			}
		],
		quietLogger
	);
	const metrics = createCoreMetrics(new Registry(), { connections: () => 0, documents: () => 0 });
	const parts = { hooks, limits: LIMITS, log: quietLogger, metrics };
	const rooms = new Rooms<Principal>(parts);
	const sockets = new Sockets<Principal>({ ...parts, rooms });
	const document = await rooms.acquire('doc');
	const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
	servers.push(wss);
	wss.on('connection', (ws) => {
		document.holds++;
		sockets.attach(ws, { id: 'u1' }, document, { release: () => void released.push('lease') });
	});
	await new Promise((resolve) => wss.once('listening', resolve));
	const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
	/** A client socket, open, with the frames it received so far. */
	const connect = async () => {
		const client = new WebSocket(url);
		clients.push(client);
		const frames: Uint8Array[] = [];
		client.on('message', (data: Buffer) => frames.push(new Uint8Array(data)));
		await new Promise((resolve, reject) => {
			client.once('open', resolve);
			client.once('error', reject);
		});
		const closed = new Promise<number>((resolve) => client.once('close', resolve));
		return { client, frames, closed };
	};
	return { sockets, document, joined, released, connect };
}

describe('Sockets', () => {
	it('a socket starts with the sync step 1 and who is present; its close releases its hold', async () => {
		const { sockets, document, joined, released, connect } = await socketsOnLoopback();
		document.awareness.setLocalState({ user: 'server' });
		const holds = document.holds;
		const { client, frames } = await connect();
		await expect.poll(() => frames.length, { timeout: 2_000 }).toBe(2);
		expect(decodeClientMessage(frames[0]!).type).toBe('sync-step1');
		expect(decodeClientMessage(frames[1]!).type).toBe('awareness');
		expect(joined).toEqual(['doc']);
		expect(sockets.size).toBe(1);
		expect(document.connections.size).toBe(1);

		client.close();
		await expect.poll(() => sockets.size, { timeout: 2_000 }).toBe(0);
		expect(document.connections.size).toBe(0);
		expect(released).toEqual(['lease']);
		expect(document.holds).toBe(holds);
	});

	it('the keep-alive sweep terminates a socket silent since the last sweep, not one that answered', async () => {
		const { sockets, connect } = await socketsOnLoopback();
		const { closed } = await connect();
		await expect.poll(() => sockets.size, { timeout: 2_000 }).toBe(1);
		const [conn] = [...sockets.values()];
		sockets.sweepKeepAlive();
		expect(conn!.alive).toBe(false);
		// the client answers the ping
		await expect.poll(() => conn!.alive, { timeout: 2_000 }).toBe(true);
		sockets.sweepKeepAlive();
		expect(sockets.size).toBe(1);
		// a second sweep before any answer: closed as gone away (1001) and terminated at once
		sockets.sweepKeepAlive();
		expect([1001, 1006]).toContain(await closed);
		await expect.poll(() => sockets.size, { timeout: 2_000 }).toBe(0);
	});

	it('closeAll closes every socket with 1001', async () => {
		const { sockets, connect } = await socketsOnLoopback();
		const [one, two] = await Promise.all([connect(), connect()]);
		await expect.poll(() => sockets.size, { timeout: 2_000 }).toBe(2);
		await sockets.closeAll();
		expect(await one.closed).toBe(1001);
		expect(await two.closed).toBe(1001);
		await expect.poll(() => sockets.size, { timeout: 2_000 }).toBe(0);
	});
});
