import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { orderDocName, parseDocName } from './schema.ts';
import { parseOrderEvent, parseOrderMeta } from './parse.ts';
import {
	appendEvent,
	createEvent,
	eventsArray,
	readAssignment,
	readEvents,
	readMeta,
	readOrder,
	readRating,
	writeAssignment,
	writeMeta,
	writeRating
} from './order-doc.ts';
import { PEOPLE, replicaOf, sampleMeta, serverDoc } from './test-fixtures.ts';

describe('document names', () => {
	it('round-trips order names and parses feeds', () => {
		expect(orderDocName('abc123')).toBe('order/abc123');
		expect(parseDocName(orderDocName('abc123'))).toEqual({ kind: 'order', orderId: 'abc123' });
		expect(parseDocName('feed/admin')).toEqual({ kind: 'feed', feed: 'admin' });
		expect(parseDocName('feed/open')).toEqual({ kind: 'feed', feed: 'open' });
		expect(parseDocName('feed/partner/p1')).toEqual({
			kind: 'feed',
			feed: 'partner',
			userId: 'p1'
		});
		expect(parseDocName('feed/customer/c1')).toEqual({
			kind: 'feed',
			feed: 'customer',
			userId: 'c1'
		});
		expect(parseDocName('order/' + 'a'.repeat(64))).not.toBeNull();
	});

	it('rejects anything else', () => {
		for (const name of [
			'order/',
			'order/A',
			'order/a/b',
			'order/a.b',
			'order/-',
			'x/order/a',
			'feed//open',
			'feed/open/',
			'order/' + 'a'.repeat(65)
		]) {
			expect(parseDocName(name)).toBeNull();
		}
	});
});

describe('readers and writers', () => {
	it('reads back what the server and clients wrote, on another replica', () => {
		const server = new Y.Doc();
		expect(readOrder(server)).toBeNull();
		writeMeta(server, sampleMeta());
		writeAssignment(server, {
			partnerId: 'part1',
			partnerName: 'Pia',
			claimedAt: '2025-01-01T10:05:00.000Z'
		});
		const accepted = createEvent(PEOPLE.partner, 'accepted', 'on my way');
		appendEvent(server, accepted);
		const replica = replicaOf(server);
		expect(readMeta(replica)).toEqual(sampleMeta());
		expect(readAssignment(replica)).toEqual({
			partnerId: 'part1',
			partnerName: 'Pia',
			claimedAt: '2025-01-01T10:05:00.000Z'
		});
		expect(readEvents(replica)).toEqual([accepted]);
		expect(readRating(replica)).toBeNull();
		writeRating(replica, { stars: 5, comment: '' });
		expect(readRating(replica)).toEqual({ stars: 5, comment: '' });
		const view = readOrder(replica)!;
		expect(view.status).toBe('accepted');
		expect(view.fold.steps).toHaveLength(1);
	});

	it('writes meta one key per field and drops empty notes', () => {
		const doc = new Y.Doc();
		writeMeta(doc, sampleMeta({ address: { street: 's', city: 'c', postcode: 'p', notes: '' } }));
		expect([...doc.getMap('meta').keys()].sort()).toEqual(
			[
				'address',
				'createdAt',
				'customerId',
				'customerName',
				'items',
				'orderId',
				'paymentMethod',
				'phone',
				'total'
			].sort()
		);
		expect(readMeta(doc)!.address).toEqual({ street: 's', city: 'c', postcode: 'p' });
	});

	it('keeps the order’s currency; meta stored without one reads without it; a malformed code is damaged meta', () => {
		const doc = new Y.Doc();
		writeMeta(doc, sampleMeta({ currency: 'EUR' }));
		expect(doc.getMap('meta').get('currency')).toBe('EUR');
		expect(readMeta(replicaOf(doc))!.currency).toBe('EUR');
		const stored = new Y.Doc();
		writeMeta(stored, sampleMeta());
		expect(stored.getMap('meta').has('currency')).toBe(false);
		expect(readMeta(stored)!.currency).toBeUndefined();
		doc.getMap('meta').set('currency', 'euro');
		expect(readMeta(doc)).toBeNull();
	});

	it('skips events that are not valid when reading', () => {
		const doc = serverDoc({ claimed: true });
		eventsArray(doc).push([
			{ junk: true },
			'text',
			42,
			null,
			{ ...createEvent(PEOPLE.partner, 'preparing'), extra: 1 }
		]);
		expect(readEvents(doc).map((e) => e.type)).toEqual(['accepted']);
	});

	it('treats damaged meta as no order', () => {
		const doc = new Y.Doc();
		writeMeta(doc, sampleMeta());
		doc.getMap('meta').set('total', 'lots');
		expect(readMeta(doc)).toBeNull();
		expect(readOrder(doc)).toBeNull();
	});
});

describe('parseOrderEvent', () => {
	const good = createEvent(
		PEOPLE.partner,
		'preparing',
		'started',
		new Date('2025-01-01T10:00:00Z')
	);

	it('accepts a well-formed event', () => {
		expect(good).toMatchObject({
			type: 'preparing',
			by: 'part1',
			role: 'partner',
			at: '2025-01-01T10:00:00.000Z',
			note: 'started'
		});
		expect(good.id).toMatch(/^[a-z2-7]{24}$/);
		expect(parseOrderEvent(good)).toEqual(good);
		expect(parseOrderEvent({ ...good, at: '2025-01-01T12:00:00+02:00' })).not.toBeNull();
	});

	it('accepts event ids other clients make: UUIDs (either case), ULIDs, nanoids, up to 64', () => {
		const ids = [
			crypto.randomUUID(),
			'F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6',
			'01ARZ3NDEKTSV4RRFFQ69G5FAV',
			'V1StGXR8_Z5jdHi6B-myT',
			'a'.repeat(64),
			'x'
		];
		for (const id of ids) expect(parseOrderEvent({ ...good, id }), id).toEqual({ ...good, id });
		// users and orders keep the narrow form: they appear in document names
		expect(parseOrderEvent({ ...good, by: crypto.randomUUID() })).toBeNull();
	});

	it('rejects bad fields', () => {
		const bad: unknown[] = [
			null,
			[],
			'x',
			{ ...good, id: '' },
			{ ...good, id: 'a'.repeat(65) },
			{ ...good, id: `${crypto.randomUUID()}-${'0'.repeat(28)}` },
			{ ...good, id: '{f81d4fae-7dec-11d0-a765-00a0c91e6bf6}' },
			{ ...good, id: 'a b' },
			{ ...good, id: 'a.b' },
			{ ...good, id: 'a/b' },
			{ ...good, id: 'é' },
			{ ...good, id: 5 },
			{ ...good, type: 'pending' },
			{ ...good, type: 'teleported' },
			{ ...good, by: 'x y' },
			{ ...good, role: 'root' },
			{ ...good, at: 'yesterday' },
			{ ...good, note: 'n'.repeat(501) },
			{ ...good, note: 5 },
			{ ...good, extra: true }
		];
		for (const value of bad) expect(parseOrderEvent(value)).toBeNull();
	});

	it('does not read fields from a smuggled prototype', () => {
		const forged = JSON.parse(
			'{"__proto__": {"id": "abc", "type": "delivered", "by": "part1", "role": "partner", "at": "2025-01-01T10:00:00.000Z"}}'
		) as unknown;
		const viaAssignment: Record<string, unknown> = {};
		viaAssignment['__proto__'] = { ...good };
		expect(parseOrderEvent(forged)).toBeNull();
		expect(parseOrderEvent(viaAssignment)).toBeNull();
		expect(parseOrderEvent(Object.assign(Object.create({ x: 1 }) as object, good))).toBeNull();
	});

	it('drops an explicit note: undefined (a Yjs value can carry one) and keeps a note', () => {
		const { note: _note, ...bare } = good;
		const parsed = parseOrderEvent({ ...bare, note: undefined });
		expect(parsed).toEqual(bare);
		expect(parsed !== null && 'note' in parsed).toBe(false);
		expect(parseOrderEvent({ ...bare, note: 'ring twice' })).toEqual({
			...bare,
			note: 'ring twice'
		});
	});

	it('refuses a value that is not plain, also nested in a record', () => {
		const meta = sampleMeta();
		expect(parseOrderMeta(meta)).not.toBeNull();
		const address = Object.assign(Object.create({ polluted: true }) as object, meta.address);
		expect(parseOrderMeta({ ...meta, address })).toBeNull();
		const item = Object.assign(Object.create({ polluted: true }) as object, meta.items[0]);
		expect(parseOrderMeta({ ...meta, items: [item] })).toBeNull();
	});

	it('gives every event a fresh random id', () => {
		const ids = new Set(
			Array.from({ length: 200 }, () => createEvent(PEOPLE.admin, 'cancelled').id)
		);
		expect(ids.size).toBe(200);
	});
});
