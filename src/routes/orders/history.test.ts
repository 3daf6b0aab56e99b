import { describe, expect, it } from 'vitest';
import type { FeedEntry } from '$lib/order';
import { itemsLine, mergeHistory, splitActive, type IndexRow } from './history';

const indexRow = (
	id: string,
	createdAt: string,
	status: IndexRow['status'] = 'pending'
): IndexRow => ({
	id,
	status,
	total: 1000,
	itemCount: 1,
	items: [{ name: 'Margherita', quantity: 1 }],
	createdAt,
	partnerName: null,
	rating: null
});

const feedEntry = (id: string, createdAt: string, status: FeedEntry['status']): FeedEntry => ({
	id,
	status,
	total: 1000,
	itemCount: 1,
	items: [{ name: 'Margherita', quantity: 1 }],
	city: 'Springfield',
	createdAt,
	updatedAt: createdAt,
	customerId: 'c1',
	customerName: 'Casey',
	partnerId: 'p1',
	partnerName: 'Sam',
	conflicts: 0,
	rating: 5
});

describe('mergeHistory', () => {
	it('lets the live feed win, keeps older index rows, and sorts newest first', () => {
		const rows = mergeHistory(
			[feedEntry('b', '2025-01-02T10:00:00Z', 'delivered')],
			[
				indexRow('a', '2025-01-01T10:00:00Z'),
				indexRow('b', '2025-01-02T10:00:00Z', 'pending'),
				indexRow('c', '2025-01-03T10:00:00Z')
			]
		);
		expect(rows.map((r) => [r.id, r.status, r.rating])).toEqual([
			['c', 'pending', null],
			['b', 'delivered', 5],
			['a', 'pending', null]
		]);
		expect(rows[1]?.partnerName).toBe('Sam');
	});

	it('keeps each order’s currency, from the feed or the index', () => {
		const rows = mergeHistory(
			[{ ...feedEntry('b', '2025-01-02T10:00:00Z', 'delivered'), currency: 'EUR' }],
			[{ ...indexRow('a', '2025-01-01T10:00:00Z'), currency: 'INR' }]
		);
		expect(rows.map((r) => [r.id, r.currency])).toEqual([
			['b', 'EUR'],
			['a', 'INR']
		]);
	});

	it('splits active from finished orders', () => {
		const rows = mergeHistory(
			[
				feedEntry('x', '2025-01-02T10:00:00Z', 'out_for_delivery'),
				feedEntry('y', '2025-01-01T10:00:00Z', 'cancelled')
			],
			[]
		);
		const { active, past } = splitActive(rows);
		expect(active.map((r) => r.id)).toEqual(['x']);
		expect(past.map((r) => r.id)).toEqual(['y']);
	});
});

describe('itemsLine', () => {
	it('lists a few items and counts the rest', () => {
		const items = ['A', 'B', 'C', 'D', 'E'].map((name, i) => ({ name, quantity: i + 1 }));
		expect(itemsLine(items.slice(0, 2))).toBe('1× A, 2× B');
		expect(itemsLine(items)).toBe('1× A, 2× B, 3× C + 2 more');
	});
});
