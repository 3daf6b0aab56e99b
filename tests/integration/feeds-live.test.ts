// Feeds and the orders index, maintained by the real sync-server from order-document changes,
// watched live through stock y-websocket clients: a new order in feed/admin, feed/open (without
// phone or street) and the customer's feed; a claim moving it from feed/open to the partner's
// feed; the partner's own events and the customer's rating reaching the index and every feed;
// partners' presence and availability on feed/admin; and the index healed when a document loads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	appendEvent,
	createEvent,
	feedDocName,
	feedMap,
	orderDocName,
	readFeed,
	readOrder,
	readPartners,
	writeRating,
	type FeedEntry,
	type PartnerEntry
} from '../../src/lib/order/index.ts';
import {
	eventually,
	readMetrics,
	TEST_SECRET,
	type ProviderClient
} from '../support/sync-clients.ts';
import {
	claim,
	openDoc,
	person,
	placeOrder,
	startOrderStack,
	until,
	type OrderStack,
	type Person
} from './orders-support.ts';

let stack: OrderStack;
let customer: Person;
let partner: Person;
let rival: Person;
let admin: Person;
const open: ProviderClient[] = [];

beforeAll(async () => {
	// documents unload quickly, so a test can make the server load one again
	stack = await startOrderStack('feeds_live', { syncEnv: { SYNC_IDLE_UNLOAD_MS: '300' } });
	[customer, partner, rival, admin] = await Promise.all([
		person(stack, 'customer', 'Carmen'),
		person(stack, 'partner', 'Priya'),
		person(stack, 'partner', 'Rafael'),
		person(stack, 'admin', 'Avery')
	]);
});

afterAll(async () => {
	for (const client of open) client.destroy();
	await stack?.stop();
});

async function watch(user: Person, docName: string): Promise<ProviderClient> {
	const client = await openDoc(stack, user, docName);
	open.push(client);
	return client;
}

function close(client: ProviderClient): void {
	open.splice(open.indexOf(client), 1);
	client.destroy();
}

function entry(doc: Y.Doc, orderId: string): FeedEntry | undefined {
	return readFeed(doc).find((e) => e.id === orderId);
}

function partnerOn(doc: Y.Doc, partnerId: string): PartnerEntry | undefined {
	return readPartners(doc).find((p) => p.id === partnerId);
}

async function indexRow(orderId: string) {
	return stack.database.collections.orders.findOne({ _id: orderId });
}

describe('an order through its life, as the feeds show it', () => {
	it('new → feed/admin, feed/open (city only), feed/customer; claim → feed/partner; events and rating follow', async () => {
		const adminFeed = await watch(admin, feedDocName('admin'));
		const openFeed = await watch(rival, feedDocName('open'));
		const customerFeed = await watch(customer, feedDocName('customer', customer.userId));
		const partnerFeed = await watch(partner, feedDocName('partner', partner.userId));

		const orderId = await placeOrder(customer);
		await until(adminFeed.doc, () => entry(adminFeed.doc, orderId) !== undefined, 'admin feed');
		await until(openFeed.doc, () => entry(openFeed.doc, orderId) !== undefined, 'open feed');
		await until(
			customerFeed.doc,
			() => entry(customerFeed.doc, orderId) !== undefined,
			'customer feed'
		);

		const onBoard = entry(adminFeed.doc, orderId)!;
		expect(onBoard).toMatchObject({
			status: 'pending',
			customerId: customer.userId,
			city: 'London'
		});
		// the board has the city only (an order's page has the rest)
		expect(onBoard.phone).toBeUndefined();
		expect(onBoard.address).toBeUndefined();
		const forPartners = entry(openFeed.doc, orderId)!;
		expect(forPartners.city).toBe('London');
		expect(forPartners.phone).toBeUndefined();
		expect(forPartners.address).toBeUndefined();
		// the raw map entry holds no phone or street either (not just the parsed view)
		expect(JSON.stringify(feedMap(openFeed.doc).get(orderId))).not.toMatch(/Baker|7946/);
		expect(entry(partnerFeed.doc, orderId)).toBeUndefined();

		// claim: leaves feed/open, appears in the partner's feed, accepted on the board
		expect((await claim(partner, orderId)).status).toBe(200);
		await until(
			openFeed.doc,
			() => entry(openFeed.doc, orderId) === undefined,
			'leaving feed/open'
		);
		await until(
			partnerFeed.doc,
			() => entry(partnerFeed.doc, orderId)?.status === 'accepted',
			'partner feed'
		);
		await until(
			adminFeed.doc,
			() => entry(adminFeed.doc, orderId)?.partnerId === partner.userId,
			'board'
		);
		expect(entry(partnerFeed.doc, orderId)!.phone).toBe('+44 20 7946 0000');

		// the partner moves it on through their own client; index and feeds follow
		const orderDoc = await watch(partner, orderDocName(orderId));
		const actor = { userId: partner.userId, role: 'partner' as const };
		for (const step of ['preparing', 'out_for_delivery', 'delivered'] as const) {
			appendEvent(orderDoc.doc, createEvent(actor, step));
			await eventually(
				async () => (await indexRow(orderId))?.status === step,
				10_000,
				`index ${step}`
			);
			// the board holds active orders only: a delivered one leaves it
			await until(
				adminFeed.doc,
				() =>
					step === 'delivered'
						? entry(adminFeed.doc, orderId) === undefined
						: entry(adminFeed.doc, orderId)?.status === step,
				`board ${step}`
			);
			await until(
				customerFeed.doc,
				() => entry(customerFeed.doc, orderId)?.status === step,
				`customer ${step}`
			);
		}
		await until(
			partnerFeed.doc,
			() => entry(partnerFeed.doc, orderId)?.status === 'delivered',
			'partner done'
		);
		const delivered = await indexRow(orderId);
		expect(delivered!.deliveredAt).toBeInstanceOf(Date);
		expect(delivered!.conflicts).toBe(0);

		// the customer rates it: index, feeds, the partner's stats and feed/admin's partner list
		const customerDoc = await watch(customer, orderDocName(orderId));
		writeRating(customerDoc.doc, { stars: 4, comment: 'Warm and quick' });
		await eventually(
			async () => (await indexRow(orderId))?.rating?.stars === 4,
			10_000,
			'index rating'
		);
		expect((await indexRow(orderId))!.rating).toEqual({ stars: 4, comment: 'Warm and quick' });
		await until(
			customerFeed.doc,
			() => entry(customerFeed.doc, orderId)?.rating === 4,
			'feed rating'
		);
		await until(
			adminFeed.doc,
			() => {
				const p = partnerOn(adminFeed.doc, partner.userId);
				return p?.deliveredCount === 1 && p.ratingAverage === 4;
			},
			'partner stats on the board'
		);
		const profile = await partner.api.get('/api/partner/profile');
		expect(profile.status, profile.text).toBe(200);
		expect(profile.json.profile).toMatchObject({
			id: partner.userId,
			deliveredCount: 1,
			ratingAverage: 4,
			ratingCount: 1,
			vehicle: 'bicycle',
			available: true
		});
		close(customerDoc);
		close(orderDoc);
	});

	it('an event that conflicts is counted in the index and in the feeds that keep the order', async () => {
		// (a cancelled order has left the board, which holds active orders only)
		const customerFeed = await watch(customer, feedDocName('customer', customer.userId));
		const orderId = await placeOrder(customer);
		expect((await claim(partner, orderId)).status).toBe(200);
		const orderDoc = await watch(partner, orderDocName(orderId));
		// an admin cancels; the partner's step that comes after it is a fact from the field: kept
		// in the log, flagged
		expect((await admin.api.post(`/api/orders/${orderId}/cancel`)).status).toBe(200);
		await until(orderDoc.doc, () => readOrder(orderDoc.doc)?.status === 'cancelled', 'cancel seen');
		appendEvent(
			orderDoc.doc,
			createEvent({ userId: partner.userId, role: 'partner' }, 'preparing')
		);
		await eventually(
			async () => (await indexRow(orderId))?.conflicts === 1,
			10_000,
			'conflict count'
		);
		expect((await indexRow(orderId))!.status).toBe('cancelled');
		await until(
			customerFeed.doc,
			() => entry(customerFeed.doc, orderId)?.conflicts === 1,
			'conflict in the customer’s feed'
		);
		close(orderDoc);
	});

	it("gathers several partners' stats refreshes into one read of the index", async () => {
		const adminFeed = await watch(admin, feedDocName('admin'));
		await until(adminFeed.doc, () => partnerOn(adminFeed.doc, rival.userId) !== undefined, 'rival');
		const deliveredBefore = (who: Person) => partnerOn(adminFeed.doc, who.userId)!.deliveredCount;
		const before = { partner: deliveredBefore(partner), rival: deliveredBefore(rival) };
		const reads = async () =>
			(await readMetrics(stack.sync.url)).get('sync_partner_stats_reads_total') ?? 0;
		const readsBefore = await reads();
		const deliveries = await Promise.all(
			[partner, rival].map(async (who) => {
				const orderId = await placeOrder(customer);
				expect((await claim(who, orderId)).status).toBe(200);
				return { who, doc: await watch(who, orderDocName(orderId)) };
			})
		);
		for (const { who, doc } of deliveries) {
			for (const type of ['preparing', 'out_for_delivery', 'delivered'] as const) {
				appendEvent(doc.doc, createEvent({ userId: who.userId, role: 'partner' }, type));
			}
		}
		await until(
			adminFeed.doc,
			() =>
				deliveredBefore(partner) === before.partner + 1 &&
				deliveredBefore(rival) === before.rival + 1,
			'both deliveries counted on the board'
		);
		// two deliveries (and six changes) within the gathering window: one read, two at most if
		// the window closed between them
		expect((await reads()) - readsBefore).toBeGreaterThanOrEqual(1);
		expect((await reads()) - readsBefore).toBeLessThanOrEqual(2);
		for (const { doc } of deliveries) close(doc);
	});

	it('cancelled orders leave feed/open and show as cancelled to the customer', async () => {
		const openFeed = await watch(partner, feedDocName('open'));
		const customerFeed = await watch(customer, feedDocName('customer', customer.userId));
		const orderId = await placeOrder(customer);
		await until(openFeed.doc, () => entry(openFeed.doc, orderId) !== undefined, 'open feed');
		expect((await customer.api.post(`/api/orders/${orderId}/cancel`)).status).toBe(200);
		await until(
			openFeed.doc,
			() => entry(openFeed.doc, orderId) === undefined,
			'leaving feed/open'
		);
		await until(
			customerFeed.doc,
			() => entry(customerFeed.doc, orderId)?.status === 'cancelled',
			'cancelled'
		);
		expect((await indexRow(orderId))!.cancelledAt).toBeInstanceOf(Date);
	});
});

describe('partners on feed/admin', () => {
	it('online while a partner has a socket open, offline after; availability follows the toggle', async () => {
		const newcomer = await person(stack, 'partner', 'Nia Newcomer');
		const board = await watch(admin, feedDocName('admin'));
		const socket = await watch(newcomer, feedDocName('open'));
		await until(board.doc, () => partnerOn(board.doc, newcomer.userId)?.online === true, 'online');
		const seen = partnerOn(board.doc, newcomer.userId)!;
		expect(seen).toMatchObject({
			name: 'Nia Newcomer',
			vehicle: 'bicycle',
			deliveredCount: 0,
			ratingAverage: null
		});
		expect(seen.lastSeen).not.toBeNull();

		const off = await newcomer.api.post('/api/partner/availability', { available: false });
		expect(off.status, off.text).toBe(200);
		await until(
			board.doc,
			() => partnerOn(board.doc, newcomer.userId)?.available === false,
			'unavailable'
		);
		expect((await newcomer.api.post('/api/partner/availability', { available: true })).status).toBe(
			200
		);
		await until(
			board.doc,
			() => partnerOn(board.doc, newcomer.userId)?.available === true,
			'available'
		);

		close(socket);
		await until(
			board.doc,
			() => partnerOn(board.doc, newcomer.userId)?.online === false,
			'offline'
		);
	});

	it('the availability API validates its body and is for partners only', async () => {
		const bad = await partner.api.post('/api/partner/availability', { available: 'yes' });
		expect(bad.status).toBe(400);
		expect(bad.json.error.field).toBe('available');
		const notPartner = await customer.api.post('/api/partner/availability', { available: true });
		expect(notPartner.status).toBe(403);
		expect((await customer.api.get('/api/partner/profile')).status).toBe(403);
	});

	it('the sync-server’s partner refresh needs the service secret, never a session', async () => {
		const url = `${stack.sync.url}/internal/partners/${partner.userId}`;
		const anonymous = await fetch(url, { method: 'POST' });
		expect(anonymous.status).toBe(401);
		const withSession = await fetch(url, { method: 'POST', headers: { cookie: admin.cookie } });
		expect(withSession.status).toBe(401);
		const wrong = await fetch(url, {
			method: 'POST',
			headers: { authorization: 'Bearer not-the-secret-at-all-0000' }
		});
		expect(wrong.status).toBe(401);
		const right = await fetch(url, {
			method: 'POST',
			headers: { authorization: `Bearer ${TEST_SECRET}` }
		});
		expect(right.status).toBe(200);
		const badId = await fetch(`${stack.sync.url}/internal/partners/NOT%20AN%20ID`, {
			method: 'POST',
			headers: { authorization: `Bearer ${TEST_SECRET}` }
		});
		expect(badId.status).toBe(400);
	});
});

describe('reconciliation', () => {
	it('loading an order document heals its index row and feed entries', async () => {
		const orderId = await placeOrder(customer);
		expect((await claim(partner, orderId)).status).toBe(200);
		// a graceful stop projects everything pending; the new process starts with nothing to do
		await stack.restartSync();
		// as if the server had died between the claim's document write and its projection
		await stack.database.collections.orders.updateOne(
			{ _id: orderId },
			{ $set: { status: 'pending', partnerId: null, partnerName: null, claimedAt: null } }
		);
		await stack.database.collections.orderClaims.deleteOne({ _id: orderId });
		// nothing heals the row while the document is not loaded
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect(await indexRow(orderId)).toMatchObject({ status: 'pending', partnerId: null });
		// the admin opening the order makes the server load it
		const viewer = await watch(admin, orderDocName(orderId));
		await eventually(
			async () => (await indexRow(orderId))?.partnerId === partner.userId,
			10_000,
			'healed partner'
		);
		const row = await indexRow(orderId);
		expect(row).toMatchObject({ status: 'accepted', partnerName: 'Priya' });
		expect(row!.claimedAt).toBeInstanceOf(Date);
		close(viewer);
		const board = await watch(admin, feedDocName('admin'));
		expect(entry(board.doc, orderId)).toMatchObject({
			status: 'accepted',
			partnerId: partner.userId
		});
	});

	it('counts the deliveries made while no admin had the board open', async () => {
		// nobody has a socket on anything: feed/admin unloads (SYNC_IDLE_UNLOAD_MS here)
		for (const client of [...open]) close(client);
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		const orderId = await placeOrder(customer);
		expect((await claim(partner, orderId)).status).toBe(200);
		const phone = await watch(partner, orderDocName(orderId));
		for (const type of ['preparing', 'out_for_delivery', 'delivered'] as const) {
			appendEvent(phone.doc, createEvent({ userId: partner.userId, role: 'partner' }, type));
		}
		await eventually(
			async () => (await indexRow(orderId))?.status === 'delivered',
			10_000,
			'delivered in the index'
		);
		close(phone);
		const delivered = await stack.database.collections.orders.countDocuments({
			partnerId: partner.userId,
			status: 'delivered'
		});
		// past the stats' gathering window, and the feed's lazy writes of the order's changes
		await new Promise((resolve) => setTimeout(resolve, 2_000));
		const board = await watch(admin, feedDocName('admin'));
		await until(
			board.doc,
			() => partnerOn(board.doc, partner.userId)?.deliveredCount === delivered,
			`the board to count ${delivered} deliveries`
		);
	});

	it('re-reads the partners when an admin opens a board that stayed loaded', async () => {
		const first = await watch(admin, feedDocName('admin'));
		const counted = () => partnerOn(first.doc, partner.userId)?.deliveredCount;
		await until(first.doc, () => counted() !== undefined, 'the partner on the board');
		const before = counted()!;
		// a delivery the gathered refreshes never heard of (written to the index directly)
		const row = await stack.database.collections.orders.findOne({ partnerId: partner.userId });
		await stack.database.collections.orders.insertOne({
			...row!,
			_id: `unheard${Date.now().toString(36)}`,
			status: 'delivered'
		});
		// the board loaded with the first admin's socket re-read everyone then: wait that out
		await new Promise((resolve) => setTimeout(resolve, 5_500));
		expect(counted()).toBe(before);
		const second = await watch(admin, feedDocName('admin'));
		await until(
			second.doc,
			() => partnerOn(second.doc, partner.userId)?.deliveredCount === before + 1,
			'the second admin to see it'
		);
		await until(first.doc, () => counted() === before + 1, 'the first admin too');
	});
});
