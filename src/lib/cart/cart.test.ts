import { describe, expect, it } from 'vitest';
import type { Product } from '$lib/catalog/types';
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES } from '$lib/order/schema';
import { cart, parseStoredCart, type CartLine } from './cart.svelte';
import { priceCart } from './pricing';

const product = (id: string, price: number, available = true): Product => ({
	id,
	name: id[0]!.toUpperCase() + id.slice(1),
	description: '',
	category: 'pizza',
	price,
	image: `/products/${id}.svg`,
	available,
	tags: []
});

describe('parseStoredCart', () => {
	it('keeps valid lines and drops malformed or duplicate ones', () => {
		const raw = JSON.stringify({
			v: 1,
			checkoutKey: 'abcdefgh-1234',
			lines: [
				{
					productId: 'margherita',
					name: 'Margherita',
					unitPrice: 1250,
					image: '/m.svg',
					quantity: 2
				},
				{ productId: 'margherita', name: 'Again', unitPrice: 1, image: '', quantity: 1 },
				{ productId: 'cola', name: 'Cola', unitPrice: -5, image: '', quantity: 1 },
				{ productId: 'fries', name: 'Fries', unitPrice: 400, image: '', quantity: 0 },
				{ productId: 'salad', name: 'Salad', unitPrice: 900, image: '', quantity: 1.5 },
				'nonsense'
			]
		});
		const parsed = parseStoredCart(raw);
		expect(parsed?.lines.map((l) => [l.productId, l.quantity])).toEqual([['margherita', 2]]);
		expect(parsed?.checkoutKey).toBe('abcdefgh-1234');
	});

	it('refuses other versions and broken JSON', () => {
		expect(parseStoredCart(null)).toBeNull();
		expect(parseStoredCart('{')).toBeNull();
		expect(parseStoredCart(JSON.stringify({ v: 2, lines: [] }))).toBeNull();
	});
});

describe('cart', () => {
	it('adds, merges, clamps, removes and renews the checkout key on every change', () => {
		cart.clear();
		const margherita = product('margherita', 1250);
		expect(cart.add(margherita)).toBe('added');
		expect(cart.add(margherita, 2)).toBe('added');
		expect(cart.quantityOf('margherita')).toBe(3);
		const key = cart.checkoutKey;
		cart.setQuantity('margherita', 500);
		expect(cart.quantityOf('margherita')).toBe(MAX_LINE_QUANTITY);
		expect(cart.checkoutKey).not.toBe(key);
		expect(cart.add(margherita)).toBe('at_limit');
		cart.add(product('cola', 300));
		expect(cart.count).toBe(MAX_LINE_QUANTITY + 1);
		expect(cart.orderLines()).toEqual([
			{ productId: 'margherita', quantity: MAX_LINE_QUANTITY },
			{ productId: 'cola', quantity: 1 }
		]);
		cart.setQuantity('cola', 0);
		expect(cart.quantityOf('cola')).toBe(0);
		cart.clear();
		expect(cart.count).toBe(0);
	});

	it('refuses a line beyond the maximum number of lines', () => {
		cart.clear();
		for (let i = 0; i < MAX_ORDER_LINES; i++) expect(cart.add(product(`p${i}`, 100))).toBe('added');
		expect(cart.add(product('one-more', 100))).toBe('cart_full');
		cart.clear();
	});
});

describe('priceCart', () => {
	const lines: CartLine[] = [
		{ productId: 'margherita', name: 'Margherita', unitPrice: 1000, image: '', quantity: 2 },
		{ productId: 'tiramisu', name: 'Tiramisu', unitPrice: 600, image: '', quantity: 1 },
		{ productId: 'gone', name: 'Old dish', unitPrice: 700, image: '/old.svg', quantity: 1 }
	];
	const menu = new Map([
		['margherita', product('margherita', 1250)],
		['tiramisu', product('tiramisu', 650, false)]
	]);

	it('uses current prices and leaves unorderable lines out of the totals', () => {
		const priced = priceCart(lines, menu, 199);
		expect(priced.lines.map((l) => [l.productId, l.unitPrice, l.lineTotal, l.problem])).toEqual([
			['margherita', 1250, 2500, null],
			['tiramisu', 650, 650, 'sold_out'],
			['gone', 700, 700, 'not_on_menu']
		]);
		expect(priced.subtotal).toBe(2500);
		expect(priced.total).toBe(2699);
		expect(priced.itemCount).toBe(2);
		expect(priced.problems.map((l) => l.productId)).toEqual(['tiramisu', 'gone']);
	});

	it('charges no delivery fee for an empty cart', () => {
		expect(priceCart([], menu, 199).total).toBe(0);
	});
});
