// When an accepted update reaches the rest of the room: by default only once it is durable;
// with SYNC_RELAY=accepted at once (the sender still hears it back only once it is durable).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, readEvents } from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/server/db.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import {
	actorOf,
	connectProvider,
	createTestUser,
	eventually,
	readStored,
	startTestSyncServer,
	type TestUser,
	assignedOrder
} from '../support/sync-clients.ts';

let database: Database;
let uri: string;
let customer: TestUser;
let partner: TestUser;

beforeAll(async () => {
	({ database, uri } = await openTestDatabase('sync_relay'));
	[customer, partner] = await Promise.all([
		createTestUser(database.collections, 'customer', 'Cara'),
		createTestUser(database.collections, 'partner', 'Pat')
	]);
});

afterAll(async () => {
	await dropTestDatabase(database);
});

const HOLD_MS = 2_500; // every write waits this long before it is stored

async function scenario(relay: 'durable' | 'accepted') {
	const server = await startTestSyncServer(uri, {
		SYNC_RELAY: relay,
		SYNC_PERSIST_DELAY_MS: String(HOLD_MS)
	});
	try {
		const orderId = await assignedOrder(database.collections, server, customer, partner);
		const docName = `order/${orderId}`;
		const sender = connectProvider({ wsUrl: server.wsUrl, docName, cookie: partner.cookie });
		const watcher = connectProvider({ wsUrl: server.wsUrl, docName, cookie: customer.cookie });
		await Promise.all([sender.synced(), watcher.synced()]);
		try {
			sender.doc.getArray('events').push([createEvent(actorOf(partner), 'preparing')]);
			await eventually(() => readEvents(watcher.doc).length === 2, 10_000, 'watcher has it');
			const storedWhenSeen = readEvents((await readStored(database, docName)).doc).length;
			return { storedWhenSeen };
		} finally {
			sender.destroy();
			watcher.destroy();
		}
	} finally {
		await server.stop();
	}
}

describe('relay', () => {
	it('by default reaches the room only once the update is stored', async () => {
		const { storedWhenSeen } = await scenario('durable');
		expect(storedWhenSeen).toBe(2);
	});

	it('with SYNC_RELAY=accepted reaches the room before it is stored', async () => {
		const { storedWhenSeen } = await scenario('accepted');
		expect(storedWhenSeen).toBe(1);
	});
});
