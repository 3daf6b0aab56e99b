import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { EVENT_TYPES, ROLES, type OrderEvent } from './schema.ts';
import { createEvent, eventsArray, readEvents } from './order-doc.ts';
import {
	FINAL_STATUSES,
	foldStatus,
	isFinalStatus,
	ORDER_STATUSES,
	statusLabel,
	TRANSITIONS
} from './status.ts';
import { PEOPLE } from './test-fixtures.ts';

const FACTS = { customerId: 'cust1', partnerId: 'part1' };
const { partner, admin, customer } = PEOPLE;

describe('foldStatus', () => {
	it('starts at pending with no events', () => {
		expect(foldStatus([], FACTS)).toEqual({
			status: 'pending',
			progress: 'pending',
			steps: [],
			conflicts: [],
			conflictCount: 0,
			latestEventAt: null
		});
	});

	it('walks the happy path', () => {
		const events = (['accepted', 'preparing', 'out_for_delivery', 'delivered'] as const).map(
			(type) => createEvent(partner, type)
		);
		const fold = foldStatus(events, FACTS);
		expect(fold.status).toBe('delivered');
		expect(fold.steps.map((s) => [s.statusBefore, s.statusAfter, s.applied])).toEqual([
			['pending', 'accepted', true],
			['accepted', 'preparing', true],
			['preparing', 'out_for_delivery', true],
			['out_for_delivery', 'delivered', true]
		]);
	});

	it('nothing moves out of delivered, and each attempt is marked with a reason', () => {
		const events = [
			...(['accepted', 'preparing', 'out_for_delivery', 'delivered'] as const).map((type) =>
				createEvent(partner, type)
			),
			createEvent(admin, 'cancelled'),
			createEvent(partner, 'preparing'),
			createEvent(partner, 'delivered')
		];
		const fold = foldStatus(events, FACTS);
		expect(fold.status).toBe('delivered');
		expect(fold.conflicts.map((c) => c.conflict)).toEqual([
			'the order was already delivered, which is final',
			'the order was already delivered, which is final',
			'the order was already delivered, which is final'
		]);
		expect(fold.steps).toHaveLength(7);
	});

	it('nothing moves out of cancelled', () => {
		const events = [
			createEvent(customer, 'cancelled'),
			createEvent(partner, 'accepted'),
			createEvent(admin, 'cancelled')
		];
		const fold = foldStatus(events, FACTS);
		expect(fold.status).toBe('cancelled');
		expect(fold.conflicts.map((c) => c.conflict)).toEqual([
			'the order was already cancelled, which is final',
			'the order was already cancelled, which is final'
		]);
	});

	it("an offline partner's work after an admin's cancel stays in the log as conflicts", () => {
		const events = [
			createEvent(partner, 'accepted'),
			createEvent(admin, 'cancelled'),
			createEvent(partner, 'preparing'),
			createEvent(partner, 'out_for_delivery')
		];
		const fold = foldStatus(events, FACTS);
		expect(fold.status).toBe('cancelled');
		expect(fold.steps.map((s) => s.applied)).toEqual([true, true, false, false]);
		expect(fold.conflicts.map((c) => c.event)).toEqual(events.slice(2));
	});

	it('names who may take a refused step', () => {
		const fold = foldStatus(
			[createEvent(partner, 'accepted'), createEvent(customer, 'cancelled')],
			FACTS
		);
		expect(fold.conflicts[0]!.conflict).toBe('only an admin may do this, not a customer');
		const skip = foldStatus(
			[createEvent(partner, 'accepted'), createEvent(partner, 'delivered')],
			FACTS
		);
		expect(skip.conflicts[0]!.conflict).toBe(
			'an order that is accepted cannot be moved to delivered'
		);
	});

	it('ignores a later duplicate of an event id silently', () => {
		const accepted = createEvent(partner, 'accepted');
		const preparing = createEvent(partner, 'preparing');
		const fold = foldStatus([accepted, preparing, accepted, { ...preparing }], FACTS);
		expect(fold.status).toBe('preparing');
		expect(fold.steps).toHaveLength(2);
		expect(fold.conflicts).toEqual([]);
	});

	it('a duplicate id keeps the first occurrence even if the copy differs', () => {
		const first = createEvent(partner, 'accepted');
		const forged = { ...first, type: 'delivered' as const };
		const fold = foldStatus([first, forged], FACTS);
		expect(fold.steps.map((s) => s.event)).toEqual([first]);
	});
});

describe('status table', () => {
	it('has the final statuses and labels for every status', () => {
		expect(FINAL_STATUSES).toEqual(['delivered', 'cancelled']);
		for (const status of ORDER_STATUSES) expect(statusLabel(status)).toMatch(/^[A-Z]/);
		expect(statusLabel('out_for_delivery')).toBe('Out for delivery');
	});

	it('has no row out of a final status and no row into pending', () => {
		for (const row of TRANSITIONS) {
			expect(row.from.some(isFinalStatus)).toBe(false);
			expect(row.to).not.toBe('pending');
		}
	});
});

// ---- Properties ----

const userIds = fc.constantFrom('cust1', 'cust2', 'part1', 'part2', 'adm1');
const eventArb: fc.Arbitrary<OrderEvent> = fc.record({
	id: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8'), // duplicates on purpose
	type: fc.constantFrom(...EVENT_TYPES),
	by: userIds,
	role: fc.constantFrom(...ROLES),
	at: fc.constant('2025-01-01T00:00:00.000Z')
});
const factsArb = fc.record({ customerId: userIds, partnerId: fc.option(userIds, { nil: null }) });

describe('foldStatus properties', () => {
	it('is deterministic, never throws, and its applied steps form a valid chain', () => {
		fc.assert(
			fc.property(fc.array(eventArb, { maxLength: 30 }), factsArb, (events, facts) => {
				const once = foldStatus(events, facts);
				const twice = foldStatus(
					events.map((e) => ({ ...e })),
					facts
				);
				expect(twice).toEqual(once);
				expect(ORDER_STATUSES).toContain(once.status);
				expect(new Set(events.map((e) => e.id)).size).toBe(once.steps.length);
				let status = 'pending';
				let final = false;
				for (const step of once.steps) {
					expect(step.statusBefore).toBe(status);
					expect(step.applied).toBe(step.conflict === null);
					if (final) expect(step.applied).toBe(false);
					status = step.statusAfter;
					final ||= isFinalStatus(step.statusAfter);
				}
				expect(status).toBe(once.status);
				expect(once.conflicts).toEqual(once.steps.filter((s) => !s.applied));
				expect(once.conflictCount).toBe(once.conflicts.length);
			}),
			{ numRuns: 500 }
		);
	});

	it('never throws on arbitrary JSON in the events array', () => {
		fc.assert(
			fc.property(fc.array(fc.oneof(fc.jsonValue(), eventArb), { maxLength: 20 }), (values) => {
				const doc = new Y.Doc();
				// Through JSON: Yjs accepts only plain objects (fast-check also makes null-prototype ones).
				eventsArray(doc).push(JSON.parse(JSON.stringify(values)) as unknown[]);
				const events = readEvents(doc);
				const fold = foldStatus(events, FACTS);
				expect(ORDER_STATUSES).toContain(fold.status);
			}),
			{ numRuns: 200 }
		);
	});
});
