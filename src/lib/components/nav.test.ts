import { describe, expect, it } from 'vitest';
import { activeHref, homeFor, navFor } from './nav.ts';

describe('navFor', () => {
	it('offers each role its own sections', () => {
		expect(navFor(null).map((i) => i.label)).toEqual(['Shop']);
		expect(navFor('customer').map((i) => i.label)).toEqual(['Shop', 'My orders']);
		expect(navFor('partner').map((i) => i.label)).toEqual([
			'Open orders',
			'My deliveries',
			'Profile'
		]);
		expect(navFor('admin').map((i) => i.label)).toEqual(['Board', 'Orders']);
	});
});

describe('homeFor', () => {
	it('starts partners on their open orders, admins on the board, everyone else in the shop', () => {
		expect(homeFor('partner')).toBe('/partner');
		expect(homeFor('admin')).toBe('/admin');
		expect(homeFor('customer')).toBe('/');
		expect(homeFor(null)).toBe('/');
	});
});

describe('activeHref', () => {
	const partner = navFor('partner');

	it('picks the most specific section containing the page', () => {
		expect(activeHref(partner, '/partner')).toBe('/partner');
		expect(activeHref(partner, '/partner/orders')).toBe('/partner/orders');
		expect(activeHref(partner, '/partner/orders/abc')).toBe('/partner/orders');
		expect(activeHref(partner, '/partner/profile')).toBe('/partner/profile');
	});

	it('treats the shop as active only on the home page', () => {
		const customer = navFor('customer');
		expect(activeHref(customer, '/')).toBe('/');
		expect(activeHref(customer, '/orders/x')).toBe('/orders');
		expect(activeHref(customer, '/account')).toBeNull();
		expect(activeHref(customer, '/ordersx')).toBeNull();
	});
});
