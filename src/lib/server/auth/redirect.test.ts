import { describe, expect, it } from 'vitest';
import { loginRedirectPath, safeNextPath } from './redirect.ts';

describe('safeNextPath', () => {
	it.each([
		['/orders', '/orders'],
		['/partner/deliveries?tab=done#top', '/partner/deliveries?tab=done#top'],
		['/a/../admin', '/admin']
	])('keeps the same-site path %s', (next, expected) => {
		expect(safeNextPath(next)).toBe(expected);
	});

	it.each([
		null,
		undefined,
		'',
		'orders',
		'//evil.example/x',
		'/\\evil.example',
		'/\tevil',
		'https://evil.example/',
		'javascript:alert(1)',
		'\\\\evil.example',
		'/ok\u0000',
		`/${'a'.repeat(2001)}`
	])('refuses %j and falls back', (next) => {
		expect(safeNextPath(next)).toBe('/');
		expect(safeNextPath(next, '/partner')).toBe('/partner');
	});
});

describe('loginRedirectPath', () => {
	it('encodes the path and query into next', () => {
		expect(loginRedirectPath('/admin/orders?status=pending&page=2')).toBe(
			'/login?next=%2Fadmin%2Forders%3Fstatus%3Dpending%26page%3D2'
		);
	});
});
