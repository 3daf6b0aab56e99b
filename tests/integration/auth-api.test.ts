// Accounts over the JSON API against the built web app and a real FerretDB: register, login,
// logout and /api/me for every role, duplicates, input validation, credential errors, role guards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdmin } from '../../src/lib/server/auth/accounts.ts';
import {
	SESSION_COOKIE,
	expectApiError,
	registerAccount,
	setCookieAttributes,
	startAuthApp,
	uniqueEmail,
	type AuthApp
} from './auth-support.ts';

const ADMIN = { email: 'Boss@Example.com', password: 'admin-password-123' };
const PASSWORD = 'correct horse battery';

let app: AuthApp;

beforeAll(async () => {
	app = await startAuthApp('auth_api', {
		ADMIN_EMAIL: ADMIN.email,
		ADMIN_PASSWORD: ADMIN.password
	});
});

afterAll(async () => {
	await app?.stop();
});

const client = () => app.client();

async function registered(
	role: 'customer' | 'partner' = 'customer',
	extra: Record<string, unknown> = {}
) {
	const c = client();
	const email = uniqueEmail(role);
	const body = {
		email,
		password: PASSWORD,
		name: `Test ${role}`,
		role,
		...(role === 'partner' ? { partner: { phone: '+44 20 7946 0958', vehicle: 'motorbike' } } : {}),
		...extra
	};
	const reply = await registerAccount(c, body);
	return { c, email, reply };
}

describe('register, me, logout, login', () => {
	it('registers a customer: 201 with the user, a session cookie, and /api/me knows them', async () => {
		const c = client();
		const email = uniqueEmail('Mixed.Case');
		const reply = await c.post('/api/auth/register', {
			email: `  ${email.toUpperCase()} `,
			password: PASSWORD,
			name: '  Ada Lovelace '
		});
		expect(reply.status, reply.text).toBe(201);
		expect(reply.json.user).toMatchObject({
			email: email.toLowerCase(),
			name: 'Ada Lovelace',
			role: 'customer',
			emailVerified: false
		});
		expect(reply.json.user.id).toMatch(/^[a-z2-7]{24}$/);
		expect(JSON.stringify(reply.json)).not.toMatch(/password|hash/i);

		const cookie = setCookieAttributes(reply.headers, SESSION_COOKIE)!;
		expect(cookie).not.toBeNull();
		expect(cookie.has('httponly')).toBe(true);
		expect(cookie.get('samesite')?.toLowerCase()).toBe('lax');
		expect(cookie.get('path')).toBe('/');
		expect(cookie.has('secure')).toBe(false); // http origin in tests; https turns it on
		const expires = new Date(cookie.get('expires')!).getTime();
		expect(expires).toBeGreaterThan(Date.now() + 29 * 24 * 3600_000);

		const me = await c.get('/api/me');
		expect(me.status).toBe(200);
		expect(me.json).toEqual({ user: reply.json.user });

		const stored = await app.database.collections.users.findOne({ _id: reply.json.user.id });
		expect(stored?.email).toBe(email.toLowerCase());
		expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
	});

	it('registers a partner with their profile, shown by /api/me', async () => {
		const { c, reply } = await registered('partner');
		expect(reply.json.user.role).toBe('partner');
		const me = await c.get('/api/me');
		expect(me.json.user).toMatchObject({
			role: 'partner',
			partner: { phone: '+44 20 7946 0958', vehicle: 'motorbike', available: false }
		});
	});

	it('drops a partner profile sent with a customer registration', async () => {
		const { reply } = await registered('customer', {
			partner: { phone: '+44 20 7946 0958', vehicle: 'car' }
		});
		const stored = await app.database.collections.users.findOne({ _id: reply.json.user.id });
		expect(stored?.partner).toBeUndefined();
	});

	it('logs out: 204, the session row is gone, the cookie is cleared and no longer works', async () => {
		const { c } = await registered();
		const token = c.sessionToken!;
		const sessionId = token.split('.')[0]!;
		expect(await app.database.collections.sessions.countDocuments({ _id: sessionId })).toBe(1);

		const out = await c.post('/api/auth/logout');
		expect(out.status).toBe(204);
		const cleared = setCookieAttributes(out.headers, SESSION_COOKIE)!;
		expect(cleared.get('value')).toBe('');
		expect(c.sessionToken).toBeUndefined();
		expect(await app.database.collections.sessions.countDocuments({ _id: sessionId })).toBe(0);

		expectApiError(await c.get('/api/me'), 401, 'unauthenticated');
		const replay = client();
		replay.setSessionToken(token);
		expectApiError(await replay.get('/api/me'), 401, 'unauthenticated');
	});

	it('logs in with any letter case of the email and gets a fresh session', async () => {
		const { email, c: first } = await registered();
		const c = client();
		const reply = await c.post('/api/auth/login', {
			email: email.toUpperCase(),
			password: PASSWORD
		});
		expect(reply.status, reply.text).toBe(200);
		expect(reply.json.user.email).toBe(email);
		expect(c.sessionToken).toBeDefined();
		expect(c.sessionToken).not.toBe(first.sessionToken);
		expect((await c.get('/api/me')).json.user.email).toBe(email);
	});

	it('logs in the admin that boot created from ADMIN_EMAIL/ADMIN_PASSWORD', async () => {
		const c = client();
		const reply = await c.post('/api/auth/login', ADMIN);
		expect(reply.status, reply.text).toBe(200);
		expect(reply.json.user).toMatchObject({
			email: 'boss@example.com',
			role: 'admin',
			emailVerified: true
		});
		expect((await c.get('/api/me')).json.user.role).toBe('admin');
		expect(await app.database.collections.users.countDocuments({ role: 'admin' })).toBe(1);
	});

	it('ensureAdmin is idempotent and never takes over another account', async () => {
		expect(await ensureAdmin(app.database.collections, ADMIN)).toBe('exists');
		const { email } = await registered();
		expect(
			await ensureAdmin(app.database.collections, { email, password: 'another-password-1' })
		).toBe('role-conflict');
		const user = await app.database.collections.users.findOne({ email });
		expect(user?.role).toBe('customer');
		// The customer's own password still works: nothing was overwritten.
		expect((await client().post('/api/auth/login', { email, password: PASSWORD })).status).toBe(
			200
		);
		expect(await app.database.collections.users.countDocuments({ role: 'admin' })).toBe(1);
	});
});

describe('duplicates and refused roles', () => {
	it('refuses a duplicate email with 409 email_taken, in any letter case', async () => {
		const { email } = await registered();
		for (const variant of [email, email.toUpperCase(), ` ${email} `]) {
			const reply = await client().post('/api/auth/register', {
				email: variant,
				password: PASSWORD,
				name: 'Copy'
			});
			expectApiError(reply, 409, 'email_taken', 'email');
			expect(reply.headers.getSetCookie()).toEqual([]);
		}
		expect(await app.database.collections.users.countDocuments({ email })).toBe(1);
	});

	it('refuses to register an admin (or any unknown role) with 400 on field role', async () => {
		for (const role of ['admin', 'ADMIN', 'superuser', '']) {
			const email = uniqueEmail('wannabe');
			const reply = await client().post('/api/auth/register', {
				email,
				password: PASSWORD,
				name: 'Mallory',
				role
			});
			expectApiError(reply, 400, 'invalid_input', 'role');
			expect(await app.database.collections.users.countDocuments({ email })).toBe(0);
		}
	});
});

describe('each invalid field gets a 400 that names it', () => {
	const valid = () => ({ email: uniqueEmail('v'), password: PASSWORD, name: 'Valid Name' });
	const partner = { phone: '+1 (555) 010-9999', vehicle: 'van' };
	const cases: [string, Record<string, unknown>, string][] = [
		['missing email', { email: undefined }, 'email'],
		['malformed email', { email: 'not-an-email' }, 'email'],
		['email of the wrong type', { email: 42 }, 'email'],
		['overlong email', { email: `${'a'.repeat(250)}@example.com` }, 'email'],
		['missing password', { password: undefined }, 'password'],
		['short password', { password: 'short' }, 'password'],
		['overlong password', { password: 'x'.repeat(257) }, 'password'],
		['password of the wrong type', { password: 1234567890123 }, 'password'],
		['missing name', { name: undefined }, 'name'],
		['blank name', { name: '   ' }, 'name'],
		['overlong name', { name: 'n'.repeat(101) }, 'name'],
		['name of the wrong type', { name: { first: 'A' } }, 'name'],
		['role of the wrong type', { role: 1 }, 'role'],
		['partner without a profile', { role: 'partner' }, 'partner'],
		['partner profile of the wrong type', { role: 'partner', partner: 'yes' }, 'partner'],
		['partner phone missing', { role: 'partner', partner: { vehicle: 'car' } }, 'partner.phone'],
		[
			'partner phone not a number',
			{ role: 'partner', partner: { ...partner, phone: 'call me' } },
			'partner.phone'
		],
		[
			'partner phone too short',
			{ role: 'partner', partner: { ...partner, phone: '12 34' } },
			'partner.phone'
		],
		[
			'partner vehicle unknown',
			{ role: 'partner', partner: { ...partner, vehicle: 'boat' } },
			'partner.vehicle'
		],
		[
			'partner vehicle missing',
			{ role: 'partner', partner: { phone: partner.phone } },
			'partner.vehicle'
		]
	];

	it.each(cases)('register: %s → 400 on %s', async (_label, change, field) => {
		const body = { ...valid(), ...change };
		const reply = await client().post('/api/auth/register', body);
		expectApiError(reply, 400, 'invalid_input', field);
		expect(reply.json.error.message).not.toMatch(/zod|stack|at \w+ \(/i);
		if (typeof body.email === 'string' && body.email.includes('@')) {
			expect(await app.database.collections.users.countDocuments({ email: body.email })).toBe(0);
		}
	});

	it.each([
		['missing email', { password: PASSWORD }, 'email'],
		['malformed email', { email: 'nope', password: PASSWORD }, 'email'],
		['missing password', { email: 'a@example.com' }, 'password'],
		['password of the wrong type', { email: 'a@example.com', password: 12 }, 'password']
	] as const)('login: %s → 400 on %s', async (_label, body, field) => {
		expectApiError(await client().post('/api/auth/login', body), 400, 'invalid_input', field);
	});

	it.each(['/api/auth/register', '/api/auth/login'])(
		'%s: malformed bodies → 400 (415, 413 for a wrong type or size), never 500',
		async (path) => {
			const c = client();
			const json = { 'content-type': 'application/json' };
			for (const body of ['{"email": ', '', '[1,2]', 'null']) {
				expectApiError(await c.request('POST', path, { body, headers: json }), 400, 'invalid_json');
			}
			expectApiError(
				await c.request('POST', path, {
					body: '<xml/>',
					headers: { 'content-type': 'application/xml' }
				}),
				415,
				'unsupported_content_type'
			);
			expectApiError(
				await c.request('POST', path, {
					body: JSON.stringify({ email: 'x'.repeat(70_000) }),
					headers: json
				}),
				413,
				'body_too_large'
			);
		}
	);
});

describe('wrong credentials', () => {
	it('answers a wrong password and an unknown email with the same 401', async () => {
		const { email } = await registered();
		const wrongPassword = await client().post('/api/auth/login', {
			email,
			password: 'not the password'
		});
		const unknownEmail = await client().post('/api/auth/login', {
			email: uniqueEmail('ghost'),
			password: 'not the password'
		});
		expectApiError(wrongPassword, 401, 'invalid_credentials');
		expect(unknownEmail.status).toBe(wrongPassword.status);
		expect(unknownEmail.text).toBe(wrongPassword.text);
		expect(wrongPassword.headers.getSetCookie()).toEqual([]);
		expect(unknownEmail.headers.getSetCookie()).toEqual([]);
	});
});

describe('role guards', () => {
	const html = { accept: 'text/html' };

	it('sends anonymous visitors of partner and admin pages to /login with next', async () => {
		const c = client();
		for (const [path, next] of [
			['/partner', '/partner'],
			['/partner/deliveries', '/partner/deliveries'],
			['/admin', '/admin'],
			['/admin/orders?status=pending', '/admin/orders?status=pending']
		] as const) {
			const reply = await c.get(path, html);
			expect(reply.status, path).toBe(303);
			expect(reply.headers.get('location')).toBe(`/login?next=${encodeURIComponent(next)}`);
		}
		// Paths that merely start with the same letters are not guarded.
		expect((await c.get('/partnership', html)).status).toBe(404);
	});

	it('shows a 403 page to signed-in users of the wrong role', async () => {
		const customer = (await registered('customer')).c;
		const partner = (await registered('partner')).c;
		for (const [c, path] of [
			[customer, '/admin'],
			[customer, '/admin/orders'],
			[customer, '/partner'],
			[partner, '/admin']
		] as const) {
			const reply = await c.get(path, html);
			expect(reply.status, path).toBe(403);
			expect(reply.headers.get('content-type')).toMatch(/text\/html/);
		}
	});

	it('lets the right role through', async () => {
		const admin = client();
		await admin.post('/api/auth/login', ADMIN);
		const partner = (await registered('partner')).c;
		for (const [c, path] of [
			[admin, '/admin'],
			[partner, '/partner']
		] as const) {
			const reply = await c.get(path, html);
			// The area's pages may not exist yet (404); the guard must not be what stops the user.
			expect([303, 401, 403], path).not.toContain(reply.status);
		}
	});

	it('answers guarded APIs with JSON 401 and 403', async () => {
		const anonymous = client();
		expectApiError(await anonymous.get('/api/admin/orders'), 401, 'unauthenticated');
		expectApiError(await anonymous.get('/api/partner/orders'), 401, 'unauthenticated');
		const customer = (await registered('customer')).c;
		expectApiError(await customer.get('/api/admin/orders'), 403, 'forbidden');
		expectApiError(await customer.get('/api/partner/orders'), 403, 'forbidden');
		expectApiError(await anonymous.get('/api/me'), 401, 'unauthenticated');
	});

	it('answers an unknown API path with a JSON 404', async () => {
		expectApiError(await client().get('/api/no-such-thing'), 404, 'not_found');
	});
});
