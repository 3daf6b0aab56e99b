// Every row of the transition table, for every kind of person, through both admission (what the
// server lets join the history where the order stands) and the fold (foldStatus).
import { describe, expect, it } from 'vitest';
import { admitEvent } from './admission.ts';
import { type EventType, type OrderEvent } from './schema.ts';
import { createEvent } from './order-doc.ts';
import { foldStatus, ORDER_STATUSES, type OrderFacts, type OrderStatus } from './status.ts';
import { PEOPLE, type Person } from './test-fixtures.ts';

const PERSONS = Object.keys(PEOPLE) as Person[];
/** Every form a conflict's reason takes (status.ts, conflictReason). */
const CONFLICT_REASON =
	/^(the order was already [a-z ]+(, which is final)?|an order that is [a-z ]+ cannot be moved to [a-z ]+|only .+ may do this, not an? (customer|partner|admin))$/;
const ASSIGNED: OrderFacts = { customerId: 'cust1', partnerId: 'part1' };
const UNASSIGNED: OrderFacts = { customerId: 'cust1', partnerId: null };

/** Valid events that bring an order from pending to `status`. */
function pathTo(status: OrderStatus): OrderEvent[] {
	const byPartner = (type: EventType) => createEvent(PEOPLE.partner, type);
	switch (status) {
		case 'pending':
			return [];
		case 'accepted':
			return [byPartner('accepted')];
		case 'preparing':
			return [...pathTo('accepted'), byPartner('preparing')];
		case 'out_for_delivery':
			return [...pathTo('preparing'), byPartner('out_for_delivery')];
		case 'delivered':
			return [...pathTo('out_for_delivery'), byPartner('delivered')];
		case 'cancelled':
			return [createEvent(PEOPLE.admin, 'cancelled')];
	}
}

interface Row {
	from: OrderStatus;
	to: EventType;
	facts: OrderFacts;
	allowed: Person[];
}

// The transition table: pending→accepted (a partner via claim; the assigned one once the assignment is
// known), pending→cancelled (placing customer or admin), accepted→preparing,
// preparing→out_for_delivery, out_for_delivery→delivered (assigned partner or admin), any
// non-final→cancelled (admin).
const ROWS: Row[] = [
	{ from: 'pending', to: 'accepted', facts: ASSIGNED, allowed: ['partner'] },
	{ from: 'pending', to: 'accepted', facts: UNASSIGNED, allowed: ['partner', 'otherPartner'] },
	{ from: 'pending', to: 'cancelled', facts: ASSIGNED, allowed: ['customer', 'admin'] },
	{ from: 'accepted', to: 'preparing', facts: ASSIGNED, allowed: ['partner', 'admin'] },
	{ from: 'preparing', to: 'out_for_delivery', facts: ASSIGNED, allowed: ['partner', 'admin'] },
	{ from: 'out_for_delivery', to: 'delivered', facts: ASSIGNED, allowed: ['partner', 'admin'] },
	{ from: 'accepted', to: 'cancelled', facts: ASSIGNED, allowed: ['admin'] },
	{ from: 'preparing', to: 'cancelled', facts: ASSIGNED, allowed: ['admin'] },
	{ from: 'out_for_delivery', to: 'cancelled', facts: ASSIGNED, allowed: ['admin'] }
];

describe('foldStatus: each table row for each person', () => {
	for (const row of ROWS) {
		for (const person of PERSONS) {
			const expected = row.allowed.includes(person);
			const assigned = row.facts.partnerId === null ? 'unassigned' : 'assigned';
			it(`${row.from} → ${row.to} by ${person} (${assigned}): ${expected ? 'applies' : 'conflict'}`, () => {
				const event = createEvent(PEOPLE[person], row.to);
				const fold = foldStatus([...pathTo(row.from), event], row.facts);
				const last = fold.steps.at(-1)!;
				expect(last.event).toBe(event);
				expect(last.statusBefore).toBe(row.from);
				if (expected) {
					expect(last).toMatchObject({ applied: true, conflict: null, statusAfter: row.to });
					expect(fold.status).toBe(row.to);
					expect(fold.conflicts).toEqual([]);
				} else {
					expect(last.applied).toBe(false);
					expect(last.conflict).toMatch(CONFLICT_REASON);
					expect(last.statusAfter).toBe(row.from);
					expect(fold.status).toBe(row.from);
					expect(fold.conflicts).toEqual([last]);
				}
			});
		}
	}
});

describe('foldStatus: moves that are in no row', () => {
	const inTable = new Set(ROWS.map((row) => `${row.from}>${row.to}`));
	for (const from of ORDER_STATUSES) {
		for (const to of ORDER_STATUSES) {
			if (to === 'pending' || inTable.has(`${from}>${to}`)) continue;
			it(`${from} → ${to} is a conflict for everyone, even an admin`, () => {
				for (const person of PERSONS) {
					const fold = foldStatus([...pathTo(from), createEvent(PEOPLE[person], to)], ASSIGNED);
					expect(fold.status).toBe(from);
					expect(fold.conflicts).toHaveLength(1);
					expect(fold.conflicts[0]!.conflict).toMatch(CONFLICT_REASON);
				}
			});
		}
	}
});

describe('admitEvent: who may add what, checked where the order stands when it arrives', () => {
	// status → person → the event types admitted (every other combination is refused)
	const expected: Record<OrderStatus, Partial<Record<Person, EventType[]>>> = {
		pending: { customer: ['cancelled'], admin: ['cancelled'] },
		accepted: { partner: ['preparing'], admin: ['preparing', 'cancelled'] },
		preparing: { partner: ['out_for_delivery'], admin: ['out_for_delivery', 'cancelled'] },
		out_for_delivery: { partner: ['delivered'], admin: ['delivered', 'cancelled'] },
		delivered: {},
		// after an admin's cancel, the assigned partner's next step is a fact from the field
		cancelled: { partner: ['preparing'] }
	};
	const TYPES: EventType[] = [
		'accepted',
		'preparing',
		'out_for_delivery',
		'delivered',
		'cancelled'
	];
	for (const status of ORDER_STATUSES) {
		const events =
			status === 'cancelled'
				? [...pathTo('accepted'), createEvent(PEOPLE.admin, 'cancelled')]
				: pathTo(status);
		const facts = status === 'pending' ? UNASSIGNED : ASSIGNED;
		const position = foldStatus(events, facts);
		for (const person of PERSONS) {
			const allowed = expected[status][person] ?? [];
			it(`${status}: ${person} may add ${allowed.join(', ') || 'nothing'}`, () => {
				for (const type of TYPES) {
					const result = admitEvent(position, facts, PEOPLE[person], type);
					expect(result.ok, `${type} by ${person} on ${status}`).toBe(allowed.includes(type));
					if (!result.ok) expect(new TextEncoder().encode(result.reason).length).toBeLessThan(124);
				}
			});
		}
	}

	it('a customer cancel that comes too late says why', () => {
		for (const status of ['accepted', 'preparing', 'out_for_delivery'] as const) {
			expect(
				admitEvent(foldStatus(pathTo(status), ASSIGNED), ASSIGNED, PEOPLE.customer, 'cancelled')
			).toEqual({
				ok: false,
				reason: 'a partner had already accepted the order'
			});
		}
		expect(
			admitEvent(foldStatus(pathTo('delivered'), ASSIGNED), ASSIGNED, PEOPLE.customer, 'cancelled')
		).toEqual({
			ok: false,
			reason: 'the order was already delivered'
		});
	});

	it('accepted is never written by a client, not even the assigned partner or an admin', () => {
		for (const facts of [ASSIGNED, UNASSIGNED]) {
			for (const person of PERSONS) {
				expect(admitEvent(foldStatus([], facts), facts, PEOPLE[person], 'accepted')).toEqual({
					ok: false,
					reason: 'accepted is written by the server through a claim'
				});
			}
		}
	});

	it("after a cancel, the partner's steps are admitted once each, in order, and flagged", () => {
		const events = [...pathTo('accepted'), createEvent(PEOPLE.admin, 'cancelled')];
		for (const type of ['preparing', 'out_for_delivery', 'delivered'] as const) {
			const fold = foldStatus(events, ASSIGNED);
			expect(admitEvent(fold, ASSIGNED, PEOPLE.partner, type).ok).toBe(true);
			expect(admitEvent(fold, ASSIGNED, PEOPLE.partner, 'preparing').ok).toBe(type === 'preparing');
			events.push(createEvent(PEOPLE.partner, type));
		}
		const fold = foldStatus(events, ASSIGNED);
		expect(fold.status).toBe('cancelled');
		expect(fold.progress).toBe('delivered');
		expect(fold.conflicts).toHaveLength(3);
		for (const type of ['preparing', 'out_for_delivery', 'delivered'] as const) {
			expect(admitEvent(fold, ASSIGNED, PEOPLE.partner, type).ok).toBe(false);
		}
	});
});
