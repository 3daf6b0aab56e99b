import { describe, expect, it } from 'vitest';
import type { FeedEntry, OrderStatus, PartnerEntry } from '$lib/order';
import {
	activeCounts,
	boardCities,
	boardColumns,
	boardFilterParams,
	isFiltered,
	isLate,
	itemsSummary,
	NO_FILTER,
	parseBoardFilter,
	revenueText,
	partnersByReadiness,
	UNASSIGNED,
	withoutFinished,
	type BoardFilter
} from './board.ts';

const START = Date.parse('2025-03-04T00:00:00Z');
const at = (minutes: number) => new Date(START + minutes * 60_000).toISOString();
let n = 0;

function entry(
	status: OrderStatus,
	created: number,
	updated = created,
	extra: Partial<FeedEntry> = {}
) {
	n++;
	const value: FeedEntry = {
		id: `o${n}`,
		status,
		total: 1000,
		itemCount: 1,
		items: [{ name: 'Margherita', quantity: 1 }],
		city: 'London',
		createdAt: at(created),
		updatedAt: at(updated),
		customerId: 'c1',
		customerName: 'Casey',
		partnerId: null,
		partnerName: null,
		conflicts: 0,
		rating: null,
		...extra
	};
	return value;
}

describe('boardColumns', () => {
	it('puts each active order in its status column, waiting longest first, and leaves finished ones out', () => {
		const old = entry('pending', 10);
		const young = entry('pending', 50);
		const cooking = entry('preparing', 20);
		const done = entry('delivered', 5, 60);
		const columns = boardColumns([old, done, cooking, young]);
		expect(columns.map((c) => c.status)).toEqual([
			'pending',
			'accepted',
			'preparing',
			'out_for_delivery'
		]);
		expect(columns[0]!.entries.map((e) => e.id)).toEqual([old.id, young.id]);
		expect(columns[1]!.entries).toEqual([]);
		expect(columns[2]!.entries).toEqual([cooking]);
		expect(columns.flatMap((c) => c.entries)).not.toContain(done);
		expect(columns.map((c) => c.total)).toEqual([2, 0, 1, 0]);
	});

	it('counts pending orders waiting longer than the alert time as late', () => {
		const now = START + 60 * 60_000;
		const columns = boardColumns(
			[entry('pending', 0), entry('pending', 45), entry('accepted', 0)],
			NO_FILTER,
			now,
			30
		);
		expect(columns[0]!.late).toBe(1);
		expect(columns[1]!.late).toBe(0);
		expect(isLate(columns[0]!.entries[0]!, now, 30)).toBe(true);
		expect(isLate(columns[0]!.entries[1]!, now, 30)).toBe(false);
	});

	it('filters by words, city, partner and age, and keeps the column totals', () => {
		const now = START + 60 * 60_000;
		const leeds = entry('pending', 50, 50, { city: 'Leeds', customerName: 'Dana Doe' });
		const ridden = entry('accepted', 0, 0, { partnerId: 'p1', partnerName: 'Sam Rider' });
		const other = entry('pending', 55);
		const all = [leeds, ridden, other];
		const ids = (filter: Partial<BoardFilter>) =>
			boardColumns(all, { ...NO_FILTER, ...filter }, now)
				.flatMap((c) => c.entries)
				.map((e) => e.id);
		expect(ids({ city: 'Leeds' })).toEqual([leeds.id]);
		expect(ids({ query: 'dana' })).toEqual([leeds.id]);
		expect(ids({ query: 'sam rider' })).toEqual([ridden.id]);
		expect(ids({ query: `#${ridden.id.toUpperCase()}` })).toEqual([ridden.id]);
		expect(ids({ partner: 'p1' })).toEqual([ridden.id]);
		expect(ids({ partner: UNASSIGNED })).toEqual([leeds.id, other.id]);
		expect(ids({ minAgeMinutes: 30 })).toEqual([ridden.id]);
		expect(boardColumns(all, { ...NO_FILTER, city: 'Leeds' }, now)[0]!.total).toBe(2);
	});
});

describe('board filters in the URL', () => {
	it('reads what it understands and writes only what is set', () => {
		const filter = parseBoardFilter(
			new URLSearchParams('q=%20dana%20&city=Leeds&partner=p1&age=30&extra=1')
		);
		expect(filter).toEqual({ query: 'dana', city: 'Leeds', partner: 'p1', minAgeMinutes: 30 });
		expect(boardFilterParams(filter).toString()).toBe('q=dana&city=Leeds&partner=p1&age=30');
		expect(parseBoardFilter(new URLSearchParams('age=7&partner=NO*'))).toEqual(NO_FILTER);
		expect(isFiltered(NO_FILTER)).toBe(false);
	});
});

describe('partnersByReadiness', () => {
	const partner = (id: string, online: boolean, available: boolean, name = id): PartnerEntry => ({
		id,
		name,
		vehicle: null,
		available,
		online,
		lastSeen: null,
		deliveredCount: 0,
		ratingAverage: null,
		ratingCount: 0
	});

	it('puts online and available partners first, then by load, then by name', () => {
		const partners = [
			partner('off', false, true),
			partner('busy', true, true),
			partner('resting', true, false),
			partner('idle', true, true, 'Zed')
		];
		const entries = [
			entry('accepted', 0, 0, { partnerId: 'busy' }),
			entry('preparing', 0, 0, { partnerId: 'busy' }),
			entry('delivered', 0, 0, { partnerId: 'idle' })
		];
		const rows = partnersByReadiness(partners, entries);
		expect(rows.map((p) => [p.id, p.load])).toEqual([
			['idle', 0],
			['busy', 2],
			['resting', 0],
			['off', 0]
		]);
	});
});

describe('activeCounts and boardCities', () => {
	it('count the active and conflicted orders, and list the cities once, sorted', () => {
		const entries = [
			entry('pending', 0, 0, { city: 'York' }),
			entry('preparing', 0, 0, { conflicts: 1 }),
			entry('cancelled', 0, 0, { conflicts: 2, city: 'Bath' })
		];
		expect(activeCounts(entries)).toEqual({ active: 2, conflicted: 1 });
		expect(boardCities(entries)).toEqual(['Bath', 'London', 'York']);
	});
});

describe('itemsSummary', () => {
	it('summarises the first items and counts the rest', () => {
		const items = ['A', 'B', 'C', 'D', 'E'].map((name, i) => ({ name, quantity: i + 1 }));
		expect(itemsSummary(items.slice(0, 2))).toBe('1× A, 2× B');
		expect(itemsSummary(items)).toBe('1× A, 2× B, 3× C +2 more');
	});
});

describe('revenueText', () => {
	it('shows the shop’s currency first, then each other one orders were delivered in', () => {
		expect(revenueText({ USD: 3950 }, 'USD')).toBe('$39.50');
		expect(revenueText({ USD: 0 }, 'USD')).toBe('$0.00');
		expect(revenueText({ EUR: 1250, USD: 3950, GBP: 500 }, 'USD')).toBe('$39.50 + €12.50 + £5.00');
		// the shop's is always shown; another with nothing delivered is not
		expect(revenueText({ EUR: 1250 }, 'USD')).toBe('$0.00 + €12.50');
		expect(revenueText({ USD: 3950, EUR: 0 }, 'USD')).toBe('$39.50');
	});
});

describe('withoutFinished', () => {
	it('drops the live orders the index lists as delivered or cancelled, keeps the rest', () => {
		const stale = entry('accepted', 0);
		const cancelledLate = entry('preparing', 1);
		const active = entry('pending', 2);
		const shown = withoutFinished(
			[stale, cancelledLate, active],
			[
				{ id: stale.id, status: 'delivered' },
				{ id: cancelledLate.id, status: 'cancelled' },
				{ id: 'elsewhere', status: 'delivered' }
			]
		);
		expect(shown.map((e) => e.id)).toEqual([active.id]);
	});

	it('keeps an order the index has at a non-final status (the feed may be ahead of it)', () => {
		const moving = entry('out_for_delivery', 0);
		expect(withoutFinished([moving], [{ id: moving.id, status: 'preparing' }])).toEqual([moving]);
	});

	it('returns the same list when nothing is finished', () => {
		const list = [entry('pending', 0)];
		expect(withoutFinished(list, [])).toBe(list);
	});
});
