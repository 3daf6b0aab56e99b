import { describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/env.ts';
import { GOOGLE_ISSUER, loadWebConfig } from './config.ts';

const problems = (env: Record<string, string>) => {
	try {
		loadWebConfig(env);
	} catch (err) {
		if (err instanceof ConfigError) return err.problems;
		throw err;
	}
	return [];
};

describe('Google sign-in configuration', () => {
	it('is off without AUTH_GOOGLE_ID, on with it (Google by default), with the callback URL', () => {
		expect(loadWebConfig({}).google).toBeNull();
		const on = loadWebConfig({
			ORIGIN: 'https://shop.example.com',
			AUTH_GOOGLE_ID: 'id',
			AUTH_GOOGLE_SECRET: 'secret'
		}).google;
		expect(on).toEqual({
			clientId: 'id',
			clientSecret: 'secret',
			issuer: GOOGLE_ISSUER,
			redirectUri: 'https://shop.example.com/login/google/callback'
		});
		expect(
			loadWebConfig({
				AUTH_GOOGLE_ID: 'id',
				AUTH_GOOGLE_SECRET: 'secret',
				AUTH_GOOGLE_ISSUER: 'http://127.0.0.1:4000'
			}).google?.issuer
		).toBe('http://127.0.0.1:4000');
	});

	it('stops the boot with a message naming the variable', () => {
		expect(problems({ AUTH_GOOGLE_ID: 'id' })).toEqual([
			'AUTH_GOOGLE_SECRET: AUTH_GOOGLE_ID and AUTH_GOOGLE_SECRET must be set together'
		]);
		expect(problems({ AUTH_GOOGLE_ISSUER: 'not a url' })[0]).toMatch(/^AUTH_GOOGLE_ISSUER: /);
		expect(problems({ AUTH_GOOGLE_ISSUER: 'http://idp.example.com' })[0]).toMatch(
			/^AUTH_GOOGLE_ISSUER: must be an https:\/\/ URL/
		);
		expect(problems({ LOGIN_DELAY_MS: '-1' })[0]).toMatch(/^LOGIN_DELAY_MS: /);
	});
});

describe('the shop’s currency and payment methods, the board’s alert', () => {
	it('default to US dollars, paid in cash or by card on delivery; late after 10 minutes', () => {
		const config = loadWebConfig({});
		expect(config.currency).toBe('USD');
		expect(config.paymentMethods).toEqual(['cod', 'card']);
		expect(config.boardPendingAlertMinutes).toBe(10);
	});

	it('take any ISO 4217 currency and a list of methods, in order', () => {
		const config = loadWebConfig({
			CURRENCY: 'inr',
			PAYMENT_METHODS: 'upi, cod',
			BOARD_PENDING_ALERT_MINUTES: '5'
		});
		expect(config.currency).toBe('INR');
		expect(config.paymentMethods).toEqual(['upi', 'cod']);
		expect(config.boardPendingAlertMinutes).toBe(5);
	});

	it('refuse an unknown currency, unknown or repeated methods, and UPI outside India', () => {
		expect(problems({ CURRENCY: 'dollars' })).toEqual([
			'CURRENCY: must be an ISO 4217 currency code like USD, EUR or INR'
		]);
		expect(problems({ CURRENCY: 'XYZ' })[0]).toMatch(/^CURRENCY: is not a currency/);
		expect(problems({ PAYMENT_METHODS: 'cod,cheque' })[0]).toMatch(/^PAYMENT_METHODS/);
		expect(problems({ PAYMENT_METHODS: 'cod,cod' })).toEqual([
			'PAYMENT_METHODS: must not name one twice'
		]);
		expect(problems({ PAYMENT_METHODS: ' , ' })[0]).toMatch(/^PAYMENT_METHODS: must name/);
		expect(problems({ PAYMENT_METHODS: 'cod,upi' })).toEqual([
			'PAYMENT_METHODS: upi is paid in Indian rupees: offer it only with CURRENCY=INR (CURRENCY is USD)'
		]);
	});
});
