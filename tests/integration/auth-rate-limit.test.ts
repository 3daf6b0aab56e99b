// Login rate limits, per email and per client IP, with low limits set through the environment.
// The app runs as if behind a proxy (ADDRESS_HEADER / XFF_DEPTH, adapter-node's settings), so
// each request can come from the address the test chooses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	clientFromNewIp,
	expectApiError,
	loginLimitEnv,
	registerAccount,
	startAuthApp,
	uniqueEmail,
	type AuthApp,
	type Reply
} from './auth-support.ts';

const PER_EMAIL = 3;
const PER_IP = 5;
const WINDOW_SECONDS = 600;
const PASSWORD = 'rate limited password';

let app: AuthApp;

beforeAll(async () => {
	app = await startAuthApp(
		'auth_rate',
		loginLimitEnv({ perEmail: PER_EMAIL, perIp: PER_IP, windowSeconds: WINDOW_SECONDS })
	);
});

afterAll(async () => {
	await app?.stop();
});

/** A client whose requests come from a fresh IP address. */
const fromNewIp = () => clientFromNewIp(app, '10.1');

async function account(): Promise<string> {
	const email = uniqueEmail('limited');
	await registerAccount(fromNewIp(), { email, password: PASSWORD, name: 'Lim' });
	return email;
}

function expectRateLimited(reply: Reply) {
	expectApiError(reply, 429, 'rate_limited');
	const retryAfter = Number(reply.headers.get('retry-after'));
	expect(retryAfter).toBeGreaterThan(0);
	expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
}

describe('login rate limit', () => {
	it('trips per email, whatever IP the attempts come from, and then refuses even the right password', async () => {
		const email = await account();
		for (let i = 0; i < PER_EMAIL; i++) {
			const reply = await fromNewIp().post('/api/auth/login', { email, password: 'wrong guess!' });
			expectApiError(reply, 401, 'invalid_credentials');
		}
		expectRateLimited(
			await fromNewIp().post('/api/auth/login', { email, password: 'wrong guess!' })
		);
		const right = await fromNewIp().post('/api/auth/login', { email, password: PASSWORD });
		expectRateLimited(right);
		expect(right.headers.getSetCookie()).toEqual([]);

		// Other accounts are not affected.
		const other = await account();
		expect(
			(await fromNewIp().post('/api/auth/login', { email: other, password: PASSWORD })).status
		).toBe(200);
	});

	it('counts the email in any letter case as the same email', async () => {
		const email = await account();
		const variants = [email, email.toUpperCase(), ` ${email}`];
		for (const variant of variants) {
			expectApiError(
				await fromNewIp().post('/api/auth/login', { email: variant, password: 'nope nope nope' }),
				401,
				'invalid_credentials'
			);
		}
		expectRateLimited(await fromNewIp().post('/api/auth/login', { email, password: PASSWORD }));
	});

	it('trips per IP across different emails; other IPs still log in', async () => {
		const attacker = fromNewIp();
		for (let i = 0; i < PER_IP; i++) {
			const reply = await attacker.post('/api/auth/login', {
				email: uniqueEmail('spray'),
				password: 'password spraying'
			});
			expectApiError(reply, 401, 'invalid_credentials');
		}
		const email = await account();
		expectRateLimited(await attacker.post('/api/auth/login', { email, password: PASSWORD }));
		expect((await fromNewIp().post('/api/auth/login', { email, password: PASSWORD })).status).toBe(
			200
		);
	});

	it('forgets an email’s failed attempts after a successful login', async () => {
		const email = await account();
		const c = fromNewIp();
		for (let i = 0; i < PER_EMAIL - 1; i++) {
			expectApiError(
				await c.post('/api/auth/login', { email, password: 'typo typo typo' }),
				401,
				'invalid_credentials'
			);
		}
		expect((await c.post('/api/auth/login', { email, password: PASSWORD })).status).toBe(200);
		for (let i = 0; i < PER_EMAIL - 1; i++) {
			expectApiError(
				await fromNewIp().post('/api/auth/login', { email, password: 'typo again!!' }),
				401,
				'invalid_credentials'
			);
		}
	});

	it('keeps one slot per counted attempt, never more than the limit, until the window ends', async () => {
		const email = await account();
		const key = `login-email:${email}`;
		await fromNewIp().post('/api/auth/login', { email, password: 'wrong wrong' });
		const first = await app.database.collections.rateLimitSlots.find({ key }).toArray();
		expect(first).toHaveLength(1);
		expect(first[0]!.slot).toBe(1);
		expect(first[0]!.expiresAt.getTime()).toBeGreaterThan(Date.now());
		expect(first[0]!.expiresAt.getTime() - first[0]!.windowStart.getTime()).toBe(
			WINDOW_SECONDS * 1000
		);

		for (let i = 0; i < PER_EMAIL + 2; i++) {
			await fromNewIp().post('/api/auth/login', { email, password: 'wrong wrong' });
		}
		const slots = await app.database.collections.rateLimitSlots.find({ key }).toArray();
		expect(slots.map((s) => s.slot).sort((a, b) => a - b)).toEqual(
			Array.from({ length: PER_EMAIL }, (_, i) => i + 1)
		);
	});

	it('limits the login form the same way', async () => {
		const email = await account();
		const c = fromNewIp();
		for (let i = 0; i < PER_EMAIL; i++) {
			const reply = await c.submitForm('/login', {
				email,
				password: 'wrong form guess',
				next: '/'
			});
			expect(reply.status).toBe(401);
			expect(reply.text).toContain('Email or password is incorrect.');
		}
		const limited = await c.submitForm('/login', { email, password: PASSWORD, next: '/' });
		expect(limited.status).toBe(429);
		expect(limited.text).toContain('Too many attempts');
	});
});
