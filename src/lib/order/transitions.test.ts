// Every row of DESIGN.md's transition table, for every kind of person, through both the
// position-independent write rule (mayAuthorEvent) and the fold (foldStatus).
import { describe, expect, it } from 'vitest';
import { mayAuthorEvent } from './permissions.ts';
import { createEvent, type EventType, type OrderEvent } from './schema.ts';
import { foldStatus, ORDER_STATUSES, type OrderFacts, type OrderStatus } from './status.ts';
import { PEOPLE, type Person } from './test-fixtures.ts';

const PERSONS = Object.keys(PEOPLE) as Person[];
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

// DESIGN.md: pending→accepted (a partner via claim; the assigned one once the assignment is
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
					expect(last.conflict).toMatch(new RegExp(`^${row.from} → ${row.to} is not allowed: `));
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
					expect(fold.conflicts[0]!.conflict).toMatch(/ is not allowed: /);
				}
			});
		}
	}
});

describe('mayAuthorEvent: the "who" column, independent of position', () => {
	const expected: Record<EventType, Person[]> = {
		accepted: [],
		cancelled: ['customer', 'admin'],
		preparing: ['partner', 'admin'],
		out_for_delivery: ['partner', 'admin'],
		delivered: ['partner', 'admin']
	};
	for (const [type, allowed] of Object.entries(expected) as Array<[EventType, Person[]]>) {
		for (const person of PERSONS) {
			const ok = allowed.includes(person);
			it(`${type} by ${person}: ${ok ? 'allowed' : 'refused'}`, () => {
				const result = mayAuthorEvent(PEOPLE[person], type, ASSIGNED);
				if (ok) expect(result).toEqual({ ok: true });
				else {
					expect(result.ok).toBe(false);
					expect(!result.ok && result.reason).toMatch(type === 'accepted' ? /server/ : /^only /);
				}
			});
		}
	}

	it('nobody but an admin moves an unassigned order on', () => {
		for (const type of ['preparing', 'out_for_delivery', 'delivered'] as const) {
			for (const person of PERSONS) {
				expect(mayAuthorEvent(PEOPLE[person], type, UNASSIGNED).ok).toBe(person === 'admin');
			}
		}
	});

	it('accepted is never written by a client, not even the assigned partner or an admin', () => {
		for (const facts of [ASSIGNED, UNASSIGNED]) {
			for (const person of PERSONS) {
				expect(mayAuthorEvent(PEOPLE[person], 'accepted', facts)).toEqual({
					ok: false,
					reason: 'accepted is written by the server through a claim'
				});
			}
		}
	});
});
