// The cached reader must give exactly what a fresh read gives, whatever happens to the document
// between two reads (appends, concurrent insertions, server writes, deletes, invalid values), and
// write validation through it must give the same verdicts as on a document read for the first time.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import {
	knownEventIds,
	parseEventValue,
	readOrderCached,
	readOrderHeadCached
} from './order-cache.ts';
import { EVENT_TYPES, type EventType, type OrderView } from './schema.ts';
import { orderEventSchema, parseOrderEvent } from './parse.ts';
import {
	appendEvent,
	createEvent,
	eventsArray,
	metaMap,
	readOrder,
	writeAssignment,
	writeRating
} from './order-doc.ts';
import {
	captureUpdate,
	PEOPLE,
	replicaOf,
	sampleMeta,
	serverDoc,
	type Person
} from './test-fixtures.ts';
import { collectClientOwners } from './client-owners.ts';
import { validateClientUpdate } from './validate-update.ts';

/**
 * A view as plain data: the cache's views keep their lists behind getters on the prototype
 * (copied only when read), which `toEqual` does not look at on its own.
 */
function plain(view: OrderView | null) {
	if (view === null) return null;
	const { meta, assignment, events, rating, status } = view;
	const { status: folded, steps, conflicts, conflictCount, latestEventAt } = view.fold;
	return {
		meta,
		assignment,
		events,
		rating,
		status,
		fold: { status: folded, steps, conflicts, conflictCount, latestEventAt }
	};
}

const WRITERS: Person[] = ['customer', 'partner', 'admin', 'otherPartner', 'otherCustomer'];

type Op =
	| { kind: 'append'; writer: number; type: EventType }
	| { kind: 'junk'; value: unknown }
	| { kind: 'concurrent'; writer: number; type: EventType; local: EventType }
	// a replica appends now; its update reaches the server only at a later `release`, after the
	// server has appended and been read meanwhile (so it may land before events already read)
	| { kind: 'hold'; writer: number; type: EventType }
	| { kind: 'release' }
	// one event deleted and another inserted before the last one: as long as before
	| { kind: 'swap'; index: number; writer: number; type: EventType }
	| { kind: 'duplicate'; index: number }
	| { kind: 'delete'; index: number }
	| { kind: 'assign'; writer: number }
	| { kind: 'rate'; stars: 1 | 2 | 3 | 4 | 5 }
	| { kind: 'meta' };

const writer = fc.nat(WRITERS.length - 1);
const type = fc.constantFrom(...EVENT_TYPES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
	{ weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), writer, type }) },
	{
		weight: 1,
		arbitrary: fc.record({
			kind: fc.constant('junk' as const),
			value: fc.oneof(
				fc.boolean(),
				fc.integer(),
				fc.string(),
				fc.record({ id: fc.constantFrom('x1', 'dup'), type: fc.string() }).map((v) => ({ ...v }))
			)
		})
	},
	{
		weight: 2,
		arbitrary: fc.record({ kind: fc.constant('concurrent' as const), writer, type, local: type })
	},
	{ weight: 2, arbitrary: fc.record({ kind: fc.constant('hold' as const), writer, type }) },
	{ weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const) }) },
	{
		weight: 1,
		arbitrary: fc.record({ kind: fc.constant('swap' as const), index: fc.nat(), writer, type })
	},
	{ weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), index: fc.nat() }) },
	{ weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), index: fc.nat() }) },
	{ weight: 1, arbitrary: fc.record({ kind: fc.constant('assign' as const), writer }) },
	{
		weight: 1,
		arbitrary: fc.record({
			kind: fc.constant('rate' as const),
			stars: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const, 5 as const)
		})
	},
	{ weight: 1, arbitrary: fc.record({ kind: fc.constant('meta' as const) }) }
);

function eventOf(writer: number, type: EventType, minute: number) {
	return createEvent(
		PEOPLE[WRITERS[writer]!],
		type,
		undefined,
		new Date(Date.UTC(2025, 0, 1, 11, minute))
	);
}

/** Replica updates made by `hold` that the server has not received yet, oldest first. */
const heldUpdates = new WeakMap<Y.Doc, Uint8Array[]>();

/** Applies one operation to the server's document, as any replica or the server could. */
function apply(doc: Y.Doc, op: Op, minute: number): void {
	const events = eventsArray(doc);
	switch (op.kind) {
		case 'append':
			appendEvent(doc, eventOf(op.writer, op.type, minute));
			return;
		case 'junk':
			events.push([op.value]);
			return;
		case 'concurrent': {
			// a replica appends while the server appends too: one of them lands before the other
			const replica = replicaOf(doc);
			const update = captureUpdate(replica, (d) =>
				appendEvent(d, eventOf(op.writer, op.type, minute))
			);
			appendEvent(doc, eventOf(op.writer, op.local, minute));
			Y.applyUpdate(doc, update);
			return;
		}
		case 'hold': {
			const update = captureUpdate(replicaOf(doc), (d) =>
				appendEvent(d, eventOf(op.writer, op.type, minute))
			);
			heldUpdates.set(doc, [...(heldUpdates.get(doc) ?? []), update]);
			return;
		}
		case 'release': {
			const update = heldUpdates.get(doc)?.shift();
			if (update) Y.applyUpdate(doc, update);
			return;
		}
		case 'swap': {
			if (events.length < 2) return;
			events.delete(op.index % (events.length - 1), 1);
			events.insert(events.length - 1, [eventOf(op.writer, op.type, minute)]);
			return;
		}
		case 'duplicate': {
			if (events.length === 0) return;
			const value = events.get(op.index % events.length) as Record<string, unknown> | null;
			if (typeof value === 'object' && value !== null) events.push([{ ...value }]);
			return;
		}
		case 'delete':
			if (events.length > 0) events.delete(op.index % events.length, 1);
			return;
		case 'assign': {
			const person = PEOPLE[WRITERS[op.writer]!];
			writeAssignment(doc, {
				partnerId: person.userId,
				partnerName: person.name,
				claimedAt: new Date(Date.UTC(2025, 0, 1, 11, minute)).toISOString()
			});
			return;
		}
		case 'rate':
			writeRating(doc, { stars: op.stars, comment: 'ok' });
			return;
		case 'meta':
			metaMap(doc).set('total', minute); // a changed meta must be read again
			return;
	}
}

function freshIds(doc: Y.Doc): Set<string> {
	const ids = new Set<string>();
	for (const value of eventsArray(doc).toArray()) {
		const id = (value as { id?: unknown } | null)?.id;
		if (typeof id === 'string') ids.add(id);
	}
	return ids;
}

describe('readOrderCached', () => {
	it('gives what readOrder gives after every change, whatever the change', () => {
		fc.assert(
			fc.property(fc.boolean(), fc.array(opArb, { maxLength: 30 }), (claimed, ops) => {
				const doc = serverDoc({ claimed });
				expect(plain(readOrderCached(doc))).toEqual(plain(readOrder(doc)));
				// every other view is looked at only after all the later changes: a view copies its
				// lists when they are first read, and must still show the document as it was
				const later: Array<[OrderView | null, OrderView | null]> = [];
				ops.forEach((op, minute) => {
					apply(doc, op, minute);
					// the head alone first (as write validation reads it), then the whole view
					const fresh = readOrder(doc);
					expect(readOrderHeadCached(doc)).toEqual(
						fresh && { meta: fresh.meta, assignment: fresh.assignment }
					);
					if (minute % 2 === 1) later.push([readOrderCached(doc), fresh]);
					else expect(plain(readOrderCached(doc))).toEqual(plain(fresh));
					expect([...knownEventIds(doc)].sort()).toEqual([...freshIds(doc)].sort());
				});
				for (const [view, fresh] of later) expect(plain(view)).toEqual(plain(fresh));
			}),
			{ numRuns: 150 }
		);
	});

	it('is null until meta exists, then follows it', () => {
		const doc = serverDoc({ noMeta: true });
		expect(readOrderCached(doc)).toBeNull();
		metaMap(doc).set('orderId', 'ord1');
		expect(readOrderCached(doc)).toBeNull(); // incomplete meta does not parse
		const complete = serverDoc();
		Y.applyUpdate(doc, Y.encodeStateAsUpdate(complete));
		expect(plain(readOrderCached(doc))).toEqual(plain(readOrder(doc)));
		expect(readOrderCached(doc)?.meta).toEqual(sampleMeta());
	});

	it('hands out the same view while nothing changed, and a new one after a change', () => {
		const doc = serverDoc({ claimed: true });
		const first = readOrderCached(doc);
		expect(readOrderCached(doc)).toBe(first);
		appendEvent(doc, createEvent(PEOPLE.partner, 'preparing'));
		const second = readOrderCached(doc)!;
		expect(second).not.toBe(first);
		expect(second.status).toBe('preparing');
		expect(first!.status).toBe('accepted'); // an earlier view is not changed under its holder
		expect(first!.events).toHaveLength(1);
	});

	it('folds again when the server writes the assignment (who may move the order changed)', () => {
		const doc = serverDoc();
		// the partner's steps arrive before the claim is visible: conflicts, the order stays pending
		appendEvent(doc, createEvent(PEOPLE.partner, 'accepted'));
		appendEvent(doc, createEvent(PEOPLE.otherPartner, 'preparing'));
		expect(readOrderCached(doc)!.status).toBe('accepted');
		expect(readOrderCached(doc)!.fold.conflicts).toHaveLength(1);
		writeAssignment(doc, {
			partnerId: PEOPLE.otherPartner.userId,
			partnerName: PEOPLE.otherPartner.name,
			claimedAt: '2025-01-01T10:05:00.000Z'
		});
		const view = readOrderCached(doc)!;
		expect(plain(view)).toEqual(plain(readOrder(doc)));
		// the first accepted was by a partner who is not the assigned one now
		expect(view.status).toBe('pending');
	});

	it('takes appends in without reading the whole log, whoever appends and however they merge', () => {
		const doc = serverDoc({ claimed: true });
		const partner = replicaOf(doc);
		const admin = replicaOf(doc);
		readOrderCached(doc);
		const wholeReads = vi.spyOn(Y.Array.prototype, 'toArray');
		try {
			let minute = 0;
			const appendBy = (replica: Y.Doc, person: Person) => {
				const update = captureUpdate(replica, (d) =>
					appendEvent(d, eventOf(WRITERS.indexOf(person), 'preparing', minute++))
				);
				Y.applyUpdate(doc, update);
				Y.applyUpdate(partner, update);
				Y.applyUpdate(admin, update);
			};
			// alternating writers (an item each), one writer twice (Yjs merges its items), the server
			for (const [replica, person] of [
				[partner, 'partner'],
				[admin, 'admin'],
				[admin, 'admin'],
				[partner, 'partner']
			] as const) {
				appendBy(replica, person);
				expect(readOrderHeadCached(doc)).not.toBeNull();
				expect(readOrderCached(doc)!.events).toHaveLength(minute + 1);
			}
			appendEvent(doc, createEvent(PEOPLE.admin, 'preparing'));
			appendEvent(doc, createEvent(PEOPLE.admin, 'preparing'));
			expect(plain(readOrderCached(doc))).toEqual(plain(readOrder(doc)));
			expect(wholeReads.mock.calls.length).toBe(1); // readOrder's own, above
		} finally {
			wholeReads.mockRestore();
		}
	});

	it('sees a document loaded into a new Y.Doc as a document of its own', () => {
		const doc = serverDoc({ claimed: true, then: ['preparing'] });
		const warm = readOrderCached(doc);
		const reloaded = replicaOf(doc);
		const view = readOrderCached(reloaded);
		expect(view).not.toBe(warm);
		expect(plain(view)).toEqual(plain(readOrder(reloaded)));
	});
});

describe('parseEventValue', () => {
	it('gives what parseOrderEvent gives, also right after an event with the same id', () => {
		const event = createEvent(PEOPLE.partner, 'preparing', 'at the door');
		const first = { ...event };
		expect(parseEventValue(first)).toEqual(parseOrderEvent(event));
		// a value that is exactly its event is the event (no parsed copy beside it)
		expect(parseEventValue(first)).toBe(first);
		// the same content again (as Yjs decodes an update a second time): no schema run
		const schemaRuns = vi.spyOn(orderEventSchema, 'safeParse');
		try {
			parseEventValue({ ...event });
			const again = { ...event };
			expect(parseEventValue(again)).toBe(again);
			expect(schemaRuns).toHaveBeenCalledTimes(1);
		} finally {
			schemaRuns.mockRestore();
		}
		// the same id with other content is parsed on its own
		for (const value of [
			{ ...event, by: PEOPLE.admin.userId, role: 'admin' },
			{ ...event, type: 'teleported' },
			{ ...event, extra: 1 },
			{ ...event, note: undefined },
			{ id: event.id, type: event.type, by: event.by, role: event.role, at: event.at },
			{ id: event.id, type: event.type, by: event.by, role: event.role, note: event.note },
			Object.assign(Object.create({ polluted: true }) as object, event)
		]) {
			parseEventValue({ ...event }); // each one is compared with the original event
			expect(parseEventValue(value)).toEqual(parseOrderEvent(value));
		}
	});
});

describe('write validation through the cache', () => {
	it('gives the same verdicts as on a document read for the first time', () => {
		fc.assert(
			fc.property(
				fc.array(opArb, { maxLength: 12 }),
				fc.array(fc.record({ writer, type, duplicate: fc.boolean() }), {
					minLength: 1,
					maxLength: 8
				}),
				(setup, writes) => {
					const warm = serverDoc({ claimed: true });
					setup.forEach((op, minute) => apply(warm, op, minute));
					const owners = collectClientOwners(warm);
					readOrderCached(warm);
					writes.forEach(({ writer, type, duplicate }, i) => {
						const person = PEOPLE[WRITERS[writer]!];
						const replica = replicaOf(warm);
						const known = eventsArray(warm).toArray() as Array<{ id?: unknown }>;
						const event = eventOf(writer, type, 40 + i);
						const reused = [...known].reverse().find((value) => typeof value?.id === 'string');
						if (duplicate && reused) event.id = reused.id as string;
						const update = captureUpdate(replica, (d) => appendEvent(d, event));
						const cold = replicaOf(warm);
						const fresh = validateClientUpdate(cold, update, {
							actor: person,
							clientOwners: collectClientOwners(cold),
							now: Date.now()
						});
						const cached = validateClientUpdate(warm, update, {
							actor: person,
							clientOwners: owners,
							now: Date.now()
						});
						expect(cached).toEqual(fresh);
						if (cached.ok) {
							for (const [client, owner] of cached.newOwners) owners.set(client, owner);
							Y.applyUpdate(warm, update);
							expect(plain(readOrderCached(warm))).toEqual(plain(readOrder(warm)));
						}
					});
				}
			),
			{ numRuns: 100 }
		);
	});
});
