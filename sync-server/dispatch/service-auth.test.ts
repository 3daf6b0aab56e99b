import { describe, expect, it } from 'vitest';
import { originAllowed } from './origin.ts';
import { bearerMatches } from './service-auth.ts';

describe('bearerMatches', () => {
	const secret = 'a-long-enough-secret-value';
	it('accepts exactly the secret as a bearer token', () => {
		expect(bearerMatches(`Bearer ${secret}`, secret)).toBe(true);
	});
	it('refuses anything else', () => {
		for (const header of [
			undefined,
			'',
			secret,
			`Basic ${secret}`,
			`Bearer ${secret}x`,
			`Bearer ${secret.slice(1)}`,
			'Bearer ',
			`bearer ${secret}`
		]) {
			expect(bearerMatches(header, secret)).toBe(false);
		}
	});
});

describe('originAllowed', () => {
	const allowed = new Set(['http://localhost:3000', 'https://shop.example.com']);
	it('accepts listed origins', () => {
		expect(originAllowed('http://localhost:3000', allowed)).toBe(true);
		expect(originAllowed('https://shop.example.com', allowed)).toBe(true);
	});
	it('refuses missing, foreign, look-alike and malformed origins', () => {
		for (const origin of [
			undefined,
			'',
			'null',
			'http://localhost:3001',
			'https://localhost:3000',
			'https://shop.example.com.evil.test',
			'http://evil.test',
			'not a url'
		]) {
			expect(originAllowed(origin, allowed)).toBe(false);
		}
	});
});
