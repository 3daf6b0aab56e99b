// The people and orders behind a load point, made the way the product makes them: users and
// real sessions in the database (createSession), `orders` index rows and claims, and each order
// document as the server writes it (through the service channel, or at rest as a snapshot). Every
// client then connects with a real session cookie and an allowed Origin to an order it may open:
// a load point's `docs` are order slots (bench/load/generator.ts), each worked through a queue of
// orders claimed by the slot's partner; the first client of each slot is that partner, the others
// are admins.
import { Binary } from 'mongodb';
import * as Y from 'yjs';
import {
	appendEvent,
	createEvent,
	orderDocName,
	writeAssignment,
	writeMeta,
	type Actor,
	type OrderMeta
} from '../src/lib/order/index.ts';
import { createSession, SESSION_COOKIE } from '../src/lib/shared/session.ts';
import type {
	Collections,
	DocSnapshotDoc,
	OrderClaimDoc,
	OrderIndexDoc,
	UserDoc
} from '../src/lib/shared/db.ts';
import { createSyncClient, SyncServiceError } from '../src/lib/server/sync-client.ts';
import { mapLimit } from './database.ts';
import { sleep } from './processes.ts';
import type { ClientIdentity } from './load/client.ts';
import type { LoadPoint } from './options.ts';
import { BENCH_ORIGIN, BENCH_SECRET } from './servers.ts';

/** Admin connections per admin user (the default quota allows 4000 sockets, 2000 rooms). */
export const SEATS_PER_ADMIN = 100;
const ORDERS_PER_CUSTOMER = 10;

export interface Person {
	userId: string;
	name: string;
	role: 'customer' | 'partner' | 'admin';
}

interface Seat {
	person: Person;
	cookie: string;
}

export interface Population {
	point: LoadPoint;
	partners: Person[];
	customers: Person[];
	admins: Person[];
	/** One per client: client j follows slot j % docs; j < docs is that slot's partner (writer). */
	seats: Seat[];
}

function userDoc(person: Person, now: Date): UserDoc {
	return {
		_id: person.userId,
		email: `${person.userId}@bench.invalid`,
		name: person.name,
		role: person.role,
		passwordHash: 'bench-no-login',
		emailVerifiedAt: now,
		createdAt: now,
		updatedAt: now,
		...(person.role === 'partner'
			? { partner: { phone: '+15550100', vehicle: 'motorbike' as const, available: true } }
			: {})
	};
}

export async function createPopulation(c: Collections, point: LoadPoint): Promise<Population> {
	const partners: Person[] = Array.from({ length: point.docs }, (_, i) => ({
		userId: `bp${i}`,
		name: `Partner ${i}`,
		role: 'partner'
	}));
	const customers: Person[] = Array.from(
		{ length: Math.ceil(point.docs / ORDERS_PER_CUSTOMER) },
		(_, i) => ({
			userId: `bc${i}`,
			name: `Customer ${i}`,
			role: 'customer'
		})
	);
	const adminSeats = point.clients - point.docs;
	const admins: Person[] = Array.from(
		{ length: Math.ceil(adminSeats / SEATS_PER_ADMIN) },
		(_, i) => ({
			userId: `ba${i}`,
			name: `Admin ${i}`,
			role: 'admin'
		})
	);
	const now = new Date();
	await c.users.insertMany([...partners, ...customers, ...admins].map((p) => userDoc(p, now)));
	const people = Array.from({ length: point.clients }, (_, j) =>
		j < point.docs ? partners[j]! : admins[Math.floor((j - point.docs) / SEATS_PER_ADMIN)]!
	);
	// one session per client, as separate devices and tabs would have
	const seats = await mapLimit(people, 32, async (person) => {
		const { token } = await createSession(c, person.userId);
		return { person, cookie: `${SESSION_COOKIE}=${token}` };
	});
	return { point, partners, customers, admins, seats };
}

function indexRow(meta: OrderMeta, partner: Person | null, now: Date): OrderIndexDoc {
	return {
		_id: meta.orderId,
		customerId: meta.customerId,
		customerName: meta.customerName,
		partnerId: partner?.userId ?? null,
		partnerName: partner?.name ?? null,
		status: partner ? 'accepted' : 'pending',
		total: meta.total,
		itemCount: meta.items.length,
		city: meta.address.city,
		createdAt: now,
		updatedAt: now,
		claimedAt: partner ? now : null,
		deliveredAt: null,
		cancelledAt: null,
		rating: null,
		conflicts: 0,
		items: meta.items.map(({ name, quantity }) => ({ name, quantity })),
		paymentMethod: meta.paymentMethod
	};
}

/**
 * Claimed orders `0..count-1` (order i claimed by partner i % docs: slot i % docs's queue, see
 * `slotDocName`) written at rest, as the server leaves them after a restart: the
 * index row, the claim, and each document's compacted snapshot holding what the server writes
 * (meta, the assignment and the partner's `accepted` event, under one server client id). Nothing
 * is loaded: the connect storm loads each slot's first order from MongoDB, and each move to a
 * slot's next order loads that one.
 */
export async function seedOrdersAtRest(options: {
	collections: Collections;
	population: Population;
	runTag: string;
	count: number;
}): Promise<string[]> {
	const { collections, population, runTag, count } = options;
	const now = new Date();
	const rows: OrderIndexDoc[] = [];
	const claims: OrderClaimDoc[] = [];
	const snapshots: DocSnapshotDoc[] = [];
	for (let i = 0; i < count; i++) {
		const orderId = orderIdOf(runTag, i);
		const partner = population.partners[i % population.partners.length]!;
		const customer = population.customers[i % population.customers.length]!;
		const meta = sampleMeta(orderId, customer, now);
		const actor: Actor = { userId: partner.userId, role: 'partner', name: partner.name };
		const accepted = createEvent(actor, 'accepted', undefined, now);
		const doc = new Y.Doc();
		writeMeta(doc, meta);
		writeAssignment(doc, {
			partnerId: partner.userId,
			partnerName: partner.name,
			claimedAt: now.toISOString()
		});
		appendEvent(doc, accepted);
		rows.push(indexRow(meta, partner, now));
		claims.push({
			_id: orderId,
			kind: 'claim',
			userId: partner.userId,
			userName: partner.name,
			at: now,
			eventId: accepted.id
		});
		snapshots.push({
			_id: orderDocName(orderId),
			update: new Binary(Y.encodeStateAsUpdate(doc)),
			stateVector: new Binary(Y.encodeStateVector(doc)),
			mergedSeq: 0,
			updatedAt: now
		});
		doc.destroy();
	}
	for (let i = 0; i < count; i += 500) {
		await collections.orders.insertMany(rows.slice(i, i + 500));
		await collections.orderClaims.insertMany(claims.slice(i, i + 500));
		await collections.docSnapshots.insertMany(snapshots.slice(i, i + 500));
	}
	return rows.map((row) => row._id);
}

/** Retries what a busy sync-server refuses for now (503, timeout), as the web app's caller would. */
async function retrying<T>(what: string, task: () => Promise<T>, attempts = 6): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await task();
		} catch (error) {
			const transient =
				error instanceof SyncServiceError && (error.status === 503 || error.status === 0);
			if (!transient || attempt >= attempts)
				throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
			await sleep(250 * attempt);
		}
	}
}

export function orderIdOf(runTag: string, docIndex: number): string {
	return `${runTag}o${docIndex}`;
}

/**
 * The k-th order of a slot: order `k × docs + slot`, claimed by the slot's partner (the fixtures
 * give order i to partner i % docs), so seeding `docs × ordersPerSlot` orders fills every queue.
 */
export function slotDocName(runTag: string, docs: number, slot: number, k: number): string {
	return orderDocName(orderIdOf(runTag, k * docs + slot));
}

/** Client j on slot j % docs's first order; each slot's first client is its partner. */
export function identitiesFor(population: Population, runTag: string): ClientIdentity[] {
	const { docs } = population.point;
	return population.seats.map((seat, index) => {
		const docIndex = index % docs;
		return {
			index,
			docIndex,
			docName: slotDocName(runTag, docs, docIndex, 0),
			userId: seat.person.userId,
			role: seat.person.role,
			cookie: seat.cookie,
			origin: BENCH_ORIGIN
		};
	});
}

function sampleMeta(orderId: string, customer: Person, createdAt: Date): OrderMeta {
	return {
		orderId,
		items: [
			{ productId: 'margherita', name: 'Margherita', quantity: 2, unitPrice: 899 },
			{ productId: 'garlic-bread', name: 'Garlic bread', quantity: 1, unitPrice: 449 },
			{ productId: 'lemonade', name: 'Lemonade', quantity: 2, unitPrice: 299 }
		],
		total: 2 * 899 + 449 + 2 * 299,
		address: {
			street: '12 Harbour Road',
			city: 'Springfield',
			postcode: '12345',
			notes: 'Ring twice'
		},
		phone: '+15550123',
		paymentMethod: 'card',
		customerId: customer.userId,
		customerName: customer.name,
		createdAt: createdAt.toISOString()
	};
}

/**
 * Orders `0..count-1` of a run, made as the web app makes them: a pending index row and the
 * document's meta (order creation), then the claim: the decision in `order_claims` (which the
 * sync-server's projection of the index honours), the index row, and the assignment with its
 * `accepted` event written into the document through the service channel.
 */
export async function seedOrders(options: {
	collections: Collections;
	syncHttpUrl: string;
	population: Population;
	runTag: string;
	count: number;
	/** Order i's partner (default: partner i). */
	partnerOf?: (index: number) => Person;
}): Promise<string[]> {
	const { collections, population, runTag, count } = options;
	const partnerOf =
		options.partnerOf ?? ((i: number) => population.partners[i % population.partners.length]!);
	const customerOf = (i: number) => population.customers[i % population.customers.length]!;
	const now = new Date();
	const ids = Array.from({ length: count }, (_, i) => orderIdOf(runTag, i));
	const metas = ids.map((orderId, i) => sampleMeta(orderId, customerOf(i), now));
	await collections.orders.insertMany(metas.map((meta) => indexRow(meta, null, now)));
	const sync = createSyncClient({
		baseUrl: options.syncHttpUrl,
		secret: BENCH_SECRET,
		timeoutMs: 30_000
	});
	await mapLimit(ids, 8, async (orderId, i) => {
		await retrying(`init ${orderId}`, () => sync.initOrder(orderId, metas[i]!));
		const partner = partnerOf(i);
		const actor: Actor = { userId: partner.userId, role: 'partner', name: partner.name };
		const event = createEvent(actor, 'accepted', undefined, now);
		await collections.orderClaims.insertOne({
			_id: orderId,
			kind: 'claim',
			userId: partner.userId,
			userName: partner.name,
			at: now,
			eventId: event.id
		});
		const claimed = {
			partnerId: partner.userId,
			partnerName: partner.name,
			claimedAt: now,
			status: 'accepted' as const
		};
		await collections.orders.updateOne({ _id: orderId }, { $set: claimed });
		const assignment = {
			partnerId: partner.userId,
			partnerName: partner.name,
			claimedAt: now.toISOString()
		};
		await retrying(`assign ${orderId}`, () => sync.assign(orderId, assignment, event));
		// as the web app does: closes the window in which an older projection overwrote the row
		await collections.orders.updateOne({ _id: orderId }, { $set: claimed });
	});
	return ids;
}
