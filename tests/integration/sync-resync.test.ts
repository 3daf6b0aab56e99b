// An honest client can send an update that builds on its own earlier change the server has not
// seen yet (a tap while its offline work is still on the way). The server must not refuse that
// with 1008 — the client would drop its unsent work — but ask for what it lacks and take both.
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { appendEvent, createEvent, readEvents } from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import {
	actorOf,
	createTestUser,
	eventually,
	headersFor,
	RawSyncClient,
	readMetrics,
	readStored,
	startTestSyncServer,
	type SyncServerHandle,
	assignedOrder
} from '../support/sync-clients.ts';

let database: Database;
let server: SyncServerHandle;

beforeAll(async () => {
	const opened = await openTestDatabase('sync_resync');
	database = opened.database;
	server = await startTestSyncServer(opened.uri);
});

afterAll(async () => {
	await server?.stop();
	await dropTestDatabase(database);
});

it('asks for the missing part instead of closing, then stores both changes', async () => {
	const c = database.collections;
	const [customer, partner] = await Promise.all([
		createTestUser(c, 'customer', 'Cara'),
		createTestUser(c, 'partner', 'Pat')
	]);
	const orderId = await assignedOrder(c, server, customer, partner);
	const docName = `order/${orderId}`;

	const client = await RawSyncClient.open(`${server.wsUrl}/${docName}`, headersFor(partner));
	client.requestSync();
	await client.until((doc) => readEvents(doc).length === 1);
	// The server sends sync step 1 twice: on open, and after its step 2 (the durable state vector).
	// Both must be answered before the local changes, or an answer would carry both changes and
	// no resync would be needed (this raced in CI).
	await eventually(() => client.stepOnesAnswered >= 2, 10_000, 'server sync step 1 twice');

	// Two local changes; only the second one's update is sent (the first is "still on its way").
	const updates: Uint8Array[] = [];
	client.doc.on('update', (update: Uint8Array) => updates.push(update));
	appendEvent(client.doc, createEvent(actorOf(partner), 'preparing'));
	appendEvent(client.doc, createEvent(actorOf(partner), 'out_for_delivery'));
	expect(updates).toHaveLength(2);
	const before = await readMetrics(server.url);
	client.send(syncUpdateFrame(updates[1]!));

	// The server answers with sync step 1; the client's reply carries both changes.
	await eventually(async () => {
		const stored = await readStored(database, docName);
		expect(readEvents(stored.doc).map((e) => e.type)).toEqual([
			'accepted',
			'preparing',
			'out_for_delivery'
		]);
		return true;
	});
	expect(client.isOpen).toBe(true);
	const after = await readMetrics(server.url);
	const key = 'sync_rejections_total{reason="resync_requested"}';
	expect((after.get(key) ?? 0) - (before.get(key) ?? 0)).toBe(1);
	client.close();
});

function syncUpdateFrame(update: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, 0); // messageSync
	syncProtocol.writeUpdate(encoder, update);
	return encoding.toUint8Array(encoder);
}
