import { describe, expect, it } from 'vitest';
import { DEFAULT_CURRENCY, formatMoney, setShopCurrency, shopCurrency } from './money.ts';

describe('formatMoney', () => {
	it('formats US cents as dollars', () => {
		expect(shopCurrency()).toBe(DEFAULT_CURRENCY);
		expect(DEFAULT_CURRENCY).toBe('USD');
		expect(formatMoney(1250)).toBe('$12.50');
		expect(formatMoney(5)).toBe('$0.05');
		expect(formatMoney(0)).toBe('$0.00');
		expect(formatMoney(123456)).toBe('$1,234.56');
		expect(formatMoney(-990)).toBe('-$9.90');
	});

	it('uses the minor unit of the currency it is given', () => {
		expect(formatMoney(1250, 'EUR', 'de-DE')).toBe('12,50\u00a0€');
		expect(formatMoney(1250, 'JPY', 'en-US')).toBe('¥1,250');
	});

	it('refuses amounts that are not integers', () => {
		expect(() => formatMoney(12.5)).toThrow(RangeError);
		expect(() => formatMoney(Number.NaN)).toThrow(RangeError);
	});

	it('formats in the shop’s configured currency', () => {
		setShopCurrency('INR');
		try {
			expect(formatMoney(12_50)).toBe('₹12.50');
		} finally {
			setShopCurrency(DEFAULT_CURRENCY);
		}
	});
});
