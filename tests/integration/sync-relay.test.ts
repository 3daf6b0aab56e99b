// When an accepted update reaches the rest of the room: by default only once it is durable;
// with SYNC_RELAY=accepted at once (the sender still hears it back only once it is durable).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, readEvents } from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
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

// A client with nothing gets the whole state, which the server encodes once per change of the
// document (SyncDocument.syncStep2): a newcomer after a change must still get that change.
async function newcomerAfterAChange(relay: 'durable' | 'accepted') {
	const server = await startTestSyncServer(uri, { SYNC_RELAY: relay });
	try {
		const orderId = await assignedOrder(database.collections, server, customer, partner);
		const docName = `order/${orderId}`;
		const sender = connectProvider({ wsUrl: server.wsUrl, docName, cookie: partner.cookie });
		const first = connectProvider({ wsUrl: server.wsUrl, docName, cookie: customer.cookie });
		await Promise.all([sender.synced(), first.synced()]);
		expect(readEvents(first.doc)).toHaveLength(1);
		const expected = ['accepted'];
		for (const type of ['preparing', 'out_for_delivery'] as const) {
			sender.doc.getArray('events').push([createEvent(actorOf(partner), type)]);
			expected.push(type);
			await eventually(() => readEvents(first.doc).length === expected.length, 10_000, 'seen');
			await eventually(
				async () =>
					readEvents((await readStored(database, docName)).doc).length === expected.length,
				10_000,
				'stored'
			);
			const newcomer = connectProvider({ wsUrl: server.wsUrl, docName, cookie: customer.cookie });
			try {
				await newcomer.synced();
				expect(readEvents(newcomer.doc).map((event) => event.type)).toEqual(expected);
			} finally {
				newcomer.destroy();
			}
		}
		sender.destroy();
		first.destroy();
	} finally {
		await server.stop();
	}
}

describe('a newcomer', () => {
	it('gets every change made before it came (relay on accept)', () =>
		newcomerAfterAChange('accepted'));
	it('gets every durable change made before it came (SYNC_RELAY=durable)', () =>
		newcomerAfterAChange('durable'));
});
