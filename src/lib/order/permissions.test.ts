import { describe, expect, it } from 'vitest';
import { mayRate, nextActions, roomAccess } from './permissions.ts';
import { type EventType, type OrderView } from './schema.ts';
import { readOrder, writeRating } from './order-doc.ts';
import { PEOPLE, serverDoc, type Person } from './test-fixtures.ts';

const FACTS = { customerId: 'cust1', partnerId: 'part1' };
const OPEN_FACTS = { customerId: 'cust1', partnerId: null };

describe('roomAccess', () => {
	interface Case {
		name: string;
		facts?: typeof FACTS | typeof OPEN_FACTS | null;
		allowed: Person[];
	}
	const cases: Case[] = [
		{ name: 'order/ord1', facts: FACTS, allowed: ['customer', 'partner', 'admin'] },
		{ name: 'order/ord1', facts: OPEN_FACTS, allowed: ['customer', 'admin'] },
		{ name: 'order/ord1', facts: null, allowed: [] },
		{ name: 'feed/admin', allowed: ['admin'] },
		{ name: 'feed/open', allowed: ['partner', 'otherPartner', 'admin'] },
		{ name: 'feed/partner/part1', allowed: ['partner', 'admin'] },
		{ name: 'feed/partner/part2', allowed: ['otherPartner', 'admin'] },
		{ name: 'feed/partner/cust1', allowed: ['admin'] },
		{ name: 'feed/customer/cust1', allowed: ['customer', 'admin'] },
		{ name: 'feed/customer/cust2', allowed: ['otherCustomer', 'admin'] },
		{ name: 'feed/customer/part1', allowed: ['admin'] }
	];
	for (const c of cases) {
		const label =
			c.facts === undefined
				? ''
				: ` (${c.facts === null ? 'unknown order' : c.facts.partnerId ? 'assigned' : 'open'})`;
		for (const person of Object.keys(PEOPLE) as Person[]) {
			const ok = c.allowed.includes(person);
			it(`${person} ${ok ? 'may' : 'may not'} open ${c.name}${label}`, () => {
				const result = roomAccess(PEOPLE[person], c.name, c.facts ?? null);
				if (ok) expect(result).toEqual({ ok: true });
				else {
					expect(result.ok).toBe(false);
					expect(!result.ok && result.reason.length).toBeGreaterThan(5);
				}
			});
		}
	}

	it('refuses every malformed name, for admins too', () => {
		const bad = [
			'',
			'order',
			'order/',
			'order/ABC',
			'order/a.b',
			'order/a/b',
			'order//a',
			'order/../feed/admin',
			'/order/abc',
			'order/abc/',
			'feed',
			'feed/',
			'feed/admin/',
			'feed/admin/x',
			'feed/open/x',
			'feed/partner',
			'feed/partner/',
			'feed/partner/a/b',
			'feed/other/abc',
			'feeds/open',
			'order/' + 'a'.repeat(65),
			'order/abc%2f',
			'order/abc\n'
		];
		for (const name of bad) {
			for (const person of Object.keys(PEOPLE) as Person[]) {
				expect(roomAccess(PEOPLE[person], name, FACTS)).toEqual({
					ok: false,
					reason: 'not a valid document name'
				});
			}
		}
	});

	it('explains refusals', () => {
		expect(roomAccess(PEOPLE.otherCustomer, 'order/ord1', FACTS)).toEqual({
			ok: false,
			reason: 'customers may open only their own orders'
		});
		expect(roomAccess(PEOPLE.otherPartner, 'order/ord1', FACTS)).toEqual({
			ok: false,
			reason: 'partners may open only orders assigned to them'
		});
		expect(roomAccess(PEOPLE.admin, 'order/ord1', null)).toEqual({
			ok: false,
			reason: 'no such order'
		});
		expect(roomAccess(PEOPLE.customer, 'feed/open', null)).toEqual({
			ok: false,
			reason: 'feed/open is for partners only'
		});
	});
});

function viewOf(options: Parameters<typeof serverDoc>[0]): OrderView {
	return readOrder(serverDoc(options))!;
}

describe('nextActions', () => {
	const table: Array<{
		at: Parameters<typeof serverDoc>[0];
		expect: Partial<Record<Person, EventType[]>>;
	}> = [
		{
			at: {},
			expect: {
				customer: ['cancelled'],
				otherCustomer: [],
				partner: [],
				otherPartner: [],
				admin: ['cancelled']
			}
		},
		{
			at: { claimed: true },
			expect: {
				customer: [],
				partner: ['preparing'],
				otherPartner: [],
				admin: ['preparing', 'cancelled']
			}
		},
		{
			at: { claimed: true, then: ['preparing'] },
			expect: {
				customer: [],
				partner: ['out_for_delivery'],
				admin: ['out_for_delivery', 'cancelled']
			}
		},
		{
			at: { claimed: true, then: ['preparing', 'out_for_delivery'] },
			expect: {
				customer: [],
				partner: ['delivered'],
				otherPartner: [],
				admin: ['delivered', 'cancelled']
			}
		},
		{
			at: { claimed: true, then: ['preparing', 'out_for_delivery', 'delivered'] },
			expect: { customer: [], partner: [], admin: [] }
		},
		{ at: { claimed: true, then: ['cancelled'] }, expect: { customer: [], partner: [], admin: [] } }
	];
	for (const row of table) {
		const view = viewOf(row.at);
		for (const [person, actions] of Object.entries(row.expect) as Array<[Person, EventType[]]>) {
			it(`at ${view.status}, ${person} may ${actions.join(', ') || 'do nothing'}`, () => {
				expect(nextActions(PEOPLE[person], view)).toEqual(actions);
			});
		}
	}
});

describe('mayRate', () => {
	it('only the customer, only once delivered, only once', () => {
		const delivered = serverDoc({
			claimed: true,
			then: ['preparing', 'out_for_delivery', 'delivered']
		});
		const view = readOrder(delivered)!;
		expect(mayRate(PEOPLE.customer, view)).toBe(true);
		for (const person of ['otherCustomer', 'partner', 'otherPartner', 'admin'] as const) {
			expect(mayRate(PEOPLE[person], view)).toBe(false);
		}
		expect(mayRate(PEOPLE.customer, viewOf({ claimed: true, then: ['preparing'] }))).toBe(false);
		expect(mayRate(PEOPLE.customer, viewOf({ claimed: true, then: ['cancelled'] }))).toBe(false);
		writeRating(delivered, { stars: 4, comment: 'Warm and on time' });
		expect(mayRate(PEOPLE.customer, readOrder(delivered)!)).toBe(false);
	});
});
