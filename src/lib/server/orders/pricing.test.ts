import { describe, expect, it } from 'vitest';
import type { Product } from '../../catalog/types.ts';
import { ApiError } from '../http.ts';
import { DELIVERY_FEE, mergeLines, priceOrder } from './pricing.ts';

function product(id: string, price: number, available = true): Product {
	return {
		id,
		name: id.toUpperCase(),
		description: '',
		category: 'pizza',
		price,
		image: '',
		available,
		tags: []
	};
}

const catalog = new Map([
	['a', product('a', 1250)],
	['b', product('b', 399)],
	['gone', product('gone', 100, false)]
]);

function failure(run: () => unknown): ApiError {
	try {
		run();
	} catch (error) {
		if (error instanceof ApiError) return error;
		throw error;
	}
	throw new Error('expected an ApiError');
}

describe('mergeLines', () => {
	it('adds up duplicates and remembers where each product first appeared', () => {
		expect(
			mergeLines([
				{ productId: 'a', quantity: 1 },
				{ productId: 'b', quantity: 2 },
				{ productId: 'a', quantity: 3 }
			])
		).toEqual([
			{ productId: 'a', quantity: 4, index: 0 },
			{ productId: 'b', quantity: 2, index: 1 }
		]);
	});

	it('refuses a merged quantity above 50 on the first line of that product', () => {
		const error = failure(() =>
			mergeLines([
				{ productId: 'b', quantity: 1 },
				{ productId: 'a', quantity: 25 },
				{ productId: 'a', quantity: 26 }
			])
		);
		expect(error.status).toBe(400);
		expect(error.field).toBe('items.1.quantity');
	});
});

describe('priceOrder', () => {
	it('prices from the catalog in integer minor units', () => {
		const priced = priceOrder(
			mergeLines([
				{ productId: 'a', quantity: 2 },
				{ productId: 'b', quantity: 3 }
			]),
			catalog
		);
		expect(priced.items).toEqual([
			{ productId: 'a', name: 'A', quantity: 2, unitPrice: 1250 },
			{ productId: 'b', name: 'B', quantity: 3, unitPrice: 399 }
		]);
		expect(priced.subtotal).toBe(2 * 1250 + 3 * 399);
		expect(priced.total).toBe(priced.subtotal + DELIVERY_FEE);
		expect(Number.isInteger(priced.total)).toBe(true);
	});

	it('names the line of an unknown or sold-out product', () => {
		const unknown = failure(() =>
			priceOrder(
				mergeLines([
					{ productId: 'a', quantity: 1 },
					{ productId: 'zzz', quantity: 1 }
				]),
				catalog
			)
		);
		expect([unknown.status, unknown.code, unknown.field]).toEqual([
			400,
			'unknown_product',
			'items.1.productId'
		]);
		const soldOut = failure(() =>
			priceOrder(mergeLines([{ productId: 'gone', quantity: 1 }]), catalog)
		);
		expect([soldOut.code, soldOut.field]).toEqual(['product_unavailable', 'items.0.productId']);
	});
});
