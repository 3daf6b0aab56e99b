// The sync-server's answer to a client's sync step 1 carries, after the step 2, the server's own
// step 1 with its durable state vector: that is how the browser counts its changes not yet
// confirmed (src/lib/sync/state-vector.ts). Checked over a raw socket: before a change is durable
// the vector lacks it, once it is the vector covers it, and it never claims more than is stored.
import * as decoding from 'lib0/decoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendEvent, createEvent, type Actor } from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import { createSyncClient, type SyncClient } from '../../src/lib/server/sync-client.ts';
import { readServerSyncMessage, type StateVector } from '../../src/lib/sync/state-vector.ts';
import { openTestDatabase } from '../support/database.ts';
import {
	createTestUser,
	frames,
	headersFor,
	insertOrderRow,
	RawSyncClient,
	readStored,
	sampleMeta,
	startTestSyncServer,
	TEST_SECRET,
	type SyncServerHandle,
	type TestUser
} from '../support/sync-clients.ts';

let database: Database;
let server: SyncServerHandle;
let sync: SyncClient;
let customer: TestUser;
let partner: TestUser;

beforeAll(async () => {
	const opened = await openTestDatabase('sync_confirm');
	database = opened.database;
	[customer, partner] = await Promise.all([
		createTestUser(database.collections, 'customer', 'Cara'),
		createTestUser(database.collections, 'partner', 'Pat')
	]);
	server = await startTestSyncServer(opened.uri);
	sync = createSyncClient({ baseUrl: server.url, secret: TEST_SECRET });
});

afterAll(async () => {
	await server?.stop();
	await database?.db.dropDatabase();
	await database?.close();
});

/** The state vectors of every sync step 1 the server sends on `client`'s socket. */
function serverStep1s(client: RawSyncClient): StateVector[] {
	const seen: StateVector[] = [];
	client.socket.on('message', (data: Buffer) => {
		const decoder = decoding.createDecoder(new Uint8Array(data));
		if (decoding.readVarUint(decoder) !== 0) return;
		const message = readServerSyncMessage(decoder);
		if (message?.step === 'state') seen.push(message.vector);
	});
	return seen;
}

describe('sync step 1 courtesy', () => {
	it('answers a step 1 with step 2 and the durable state vector, which soon covers our change', async () => {
		const orderId = randomId(8);
		await insertOrderRow(database.collections, orderId, customer.userId, partner.userId);
		await sync.initOrder(orderId, sampleMeta(orderId, customer.userId));
		const actor: Actor = { userId: partner.userId, role: 'partner', name: partner.name };
		await sync.assign(
			orderId,
			{ partnerId: partner.userId, partnerName: partner.name, claimedAt: new Date().toISOString() },
			createEvent(actor, 'accepted')
		);

		const client = await RawSyncClient.open(
			`${server.wsUrl}/order/${orderId}`,
			headersFor(partner)
		);
		const step1s = serverStep1s(client);
		client.requestSync();
		await client.until((doc) => doc.getArray('events').length === 1);

		// A change of ours: the update, then at once a step 1.
		const before = Y.encodeStateVector(client.doc);
		appendEvent(client.doc, createEvent(actor, 'preparing'));
		client.send(frames.update(Y.encodeStateAsUpdate(client.doc, before)));
		const ours = client.doc.clientID;
		const ourClock = Y.decodeStateVector(Y.encodeStateVector(client.doc)).get(ours)!;
		const countBefore = step1s.length;
		client.requestSync();

		// Every answer carries a vector; asked again, it soon covers our change.
		const deadline = Date.now() + 10_000;
		while (!step1s.some((vector) => (vector.get(ours) ?? 0) >= ourClock)) {
			if (Date.now() > deadline) throw new Error('the server never confirmed our change');
			await new Promise((resolve) => setTimeout(resolve, 100));
			client.requestSync();
		}
		expect(step1s.length).toBeGreaterThan(countBefore);

		// It only ever claimed what is stored.
		const stored = await readStored(database, `order/${orderId}`);
		const storedVector = Y.decodeStateVector(Y.encodeStateVector(stored.doc));
		for (const vector of step1s) {
			for (const [clientId, clock] of vector) {
				expect(clock).toBeLessThanOrEqual(storedVector.get(clientId) ?? 0);
			}
		}
		expect(client.isOpen).toBe(true);
		client.close();
	});
});
