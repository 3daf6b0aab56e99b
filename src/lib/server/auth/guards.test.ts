import { describe, expect, it } from 'vitest';
import { ApiError } from '../http.ts';
import { areaRoles, assertMayOrder, requireUser } from './guards.ts';
import type { SessionUser } from '../../shared/session.ts';

const user = (role: SessionUser['role'], emailVerified = true): SessionUser => ({
	id: 'u1',
	email: 'u@example.com',
	name: 'U',
	role,
	emailVerified
});

function thrown(fn: () => unknown): ApiError {
	try {
		fn();
	} catch (err) {
		if (err instanceof ApiError) return err;
		throw err;
	}
	throw new Error('expected an ApiError');
}

describe('requireUser', () => {
	it('throws 401 unauthenticated without a user', () => {
		const err = thrown(() => requireUser({ user: null }));
		expect([err.status, err.code]).toEqual([401, 'unauthenticated']);
	});

	it('throws 403 forbidden for a role not in the list', () => {
		const err = thrown(() => requireUser({ user: user('customer') }, ['partner', 'admin']));
		expect([err.status, err.code]).toEqual([403, 'forbidden']);
		expect(err.message).toBe('This needs a partner or admin account.');
		expect(thrown(() => requireUser({ user: user('customer') }, ['admin'])).message).toBe(
			'This needs an admin account.'
		);
	});

	it('returns the user when signed in with an allowed role', () => {
		const partner = user('partner');
		expect(requireUser({ user: partner })).toBe(partner);
		expect(requireUser({ user: partner }, ['partner'])).toBe(partner);
	});

	it('answers with the JSON error shape', async () => {
		const res = thrown(() => requireUser({ user: null })).toResponse();
		expect(res.status).toBe(401);
		expect(await res.json()).toEqual({
			error: { code: 'unauthenticated', message: 'Sign in to do this.' }
		});
	});
});

describe('assertMayOrder', () => {
	it('blocks unverified users only when verification is required', () => {
		const err = thrown(() =>
			assertMayOrder(user('customer', false), { requireEmailVerification: true })
		);
		expect([err.status, err.code]).toEqual([403, 'email_unverified']);
		expect(() =>
			assertMayOrder(user('customer', true), { requireEmailVerification: true })
		).not.toThrow();
		expect(() =>
			assertMayOrder(user('customer', false), { requireEmailVerification: false })
		).not.toThrow();
	});
});

describe('areaRoles', () => {
	it.each([
		['/partner', ['partner']],
		['/partner/deliveries/42', ['partner']],
		['/admin', ['admin']],
		['/admin/orders', ['admin']],
		['/api/admin/orders', ['admin']],
		['/api/partner/availability', ['partner']],
		['/partnership', null],
		['/administrator', null],
		['/', null],
		['/api/orders', null],
		['/account', null]
	])('%s → %j', (path, roles) => {
		expect(areaRoles(path)).toEqual(roles);
	});
});
