import { describe, expect, it } from 'vitest';
import type { FeedEntry, OrderStatus } from '$lib/order';
import { boardColumns, itemsSummary, todayStats } from './board.ts';

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
	it('puts each active order in its status column, newest first, and leaves finished ones out', () => {
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
		expect(columns[0]!.entries.map((e) => e.id)).toEqual([young.id, old.id]);
		expect(columns[1]!.entries).toEqual([]);
		expect(columns[2]!.entries).toEqual([cooking]);
		expect(columns.flatMap((c) => c.entries)).not.toContain(done);
	});
});

describe('todayStats', () => {
	it('counts today’s orders, revenue and the mean delivery time', () => {
		const entries = [
			entry('pending', 30),
			entry('preparing', -120, 10, { conflicts: 1 }), // placed yesterday, still active
			entry('delivered', 60, 90, { total: 2500 }), // 30 min
			entry('delivered', 100, 150, { total: 1500 }), // 50 min
			entry('delivered', -200, -100, { total: 9999 }), // delivered yesterday: not today's
			entry('cancelled', 20, 25),
			entry('cancelled', -300, -250)
		];
		expect(todayStats(entries, START)).toEqual({
			placed: 4,
			active: 2,
			delivered: 2,
			cancelled: 1,
			revenue: 4000,
			averageDeliveryMs: 40 * 60_000,
			conflicted: 1
		});
	});

	it('has no average before the first delivery', () => {
		expect(todayStats([entry('pending', 1)], START)).toMatchObject({
			placed: 1,
			delivered: 0,
			revenue: 0,
			averageDeliveryMs: null
		});
	});
});

describe('itemsSummary', () => {
	it('summarises the first items and counts the rest', () => {
		const items = ['A', 'B', 'C', 'D', 'E'].map((name, i) => ({ name, quantity: i + 1 }));
		expect(itemsSummary(items.slice(0, 2))).toBe('1× A, 2× B');
		expect(itemsSummary(items)).toBe('1× A, 2× B, 3× C +2 more');
	});
});
