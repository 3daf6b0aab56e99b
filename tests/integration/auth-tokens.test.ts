// Email verification and password reset: tokens arrive through the outbox, are stored only as
// hashes, work once and only once, expire, and a reset logs the user out everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashAuthToken } from '../../src/lib/server/auth/tokens.ts';
import {
	expectApiError,
	registerAccount,
	startAuthApp,
	tokenFromMail,
	uniqueEmail,
	waitForMails,
	type AuthApp
} from './auth-support.ts';

const PASSWORD = 'first password 123';
const NEW_PASSWORD = 'second password 456';
const VERIFY_SUBJECT = /confirm your email/i;
const RESET_SUBJECT = /reset your/i;

let app: AuthApp;

beforeAll(async () => {
	app = await startAuthApp('auth_tokens');
});

afterAll(async () => {
	await app?.stop();
});

async function register(name = 'Tina Token') {
	const c = app.client();
	const email = uniqueEmail('token');
	const reply = await registerAccount(c, { email, password: PASSWORD, name });
	return { c, email, userId: reply.json.user.id as string };
}

async function login(email: string, password: string) {
	const c = app.client();
	const reply = await c.post('/api/auth/login', { email, password });
	return { c, reply };
}

async function requestReset(email: string, expectedMails = 1) {
	const reply = await app.client().post('/api/auth/forgot-password', { email });
	expect(reply.status, reply.text).toBe(202);
	const mails = await waitForMails(app.database, email, RESET_SUBJECT, expectedMails);
	return tokenFromMail(mails[0]!, '/reset-password');
}

describe('email verification', () => {
	it('sends a link at registration that verifies once and only once', async () => {
		const { c, email, userId } = await register();
		const [mail] = await waitForMails(app.database, email, VERIFY_SUBJECT);
		expect(mail!.text).toContain(`${app.web.url}/verify-email?token=`);
		const token = tokenFromMail(mail!, '/verify-email');
		expect(token.length).toBeGreaterThanOrEqual(32); // ≥ 20 random bytes in base32

		// Stored only as a hash.
		const stored = await app.database.collections.authTokens.findOne({
			userId,
			kind: 'verify-email'
		});
		expect(stored?._id).toBe(hashAuthToken(token));
		expect(JSON.stringify(stored)).not.toContain(token);

		// Opening the link (GET) shows a button but does not use the token up.
		const page = await c.get(`/verify-email?token=${token}`, { accept: 'text/html' });
		expect(page.status).toBe(200);
		expect(page.text).toContain('Confirm my email');
		expect((await c.get('/api/me')).json.user.emailVerified).toBe(false);

		const first = await c.post('/api/auth/verify-email', { token });
		expect(first.status, first.text).toBe(200);
		expect(first.json.user.emailVerified).toBe(true);
		expect((await c.get('/api/me')).json.user.emailVerified).toBe(true);

		expectApiError(
			await c.post('/api/auth/verify-email', { token }),
			400,
			'invalid_token',
			'token'
		);
	});

	it('verifies through the page’s form (the button) too, once', async () => {
		const { c, email } = await register();
		const token = tokenFromMail(
			(await waitForMails(app.database, email, VERIFY_SUBJECT))[0]!,
			'/verify-email'
		);
		const ok = await c.submitForm(`/verify-email?token=${token}`, { token });
		expect(ok.status).toBe(200);
		expect(ok.text).toContain('is confirmed');
		const again = await c.submitForm(`/verify-email?token=${token}`, { token });
		expect(again.status).toBe(400);
		expect(again.text).toContain('invalid, was already used, or has expired');
	});

	it('refuses an expired verification token', async () => {
		const { c, email, userId } = await register();
		const token = tokenFromMail(
			(await waitForMails(app.database, email, VERIFY_SUBJECT))[0]!,
			'/verify-email'
		);
		await app.database.collections.authTokens.updateOne(
			{ _id: hashAuthToken(token) },
			{ $set: { expiresAt: new Date(Date.now() - 1000) } }
		);
		expectApiError(await c.post('/api/auth/verify-email', { token }), 400, 'invalid_token');
		expect(
			(await app.database.collections.users.findOne({ _id: userId }))?.emailVerifiedAt
		).toBeNull();
	});

	it('refuses a reset token used as a verification token, and garbage', async () => {
		const { c, email } = await register();
		const resetToken = await requestReset(email);
		expectApiError(
			await c.post('/api/auth/verify-email', { token: resetToken }),
			400,
			'invalid_token'
		);
		expectApiError(
			await c.post('/api/auth/verify-email', { token: 'a'.repeat(39) }),
			400,
			'invalid_token'
		);
		expectApiError(
			await c.post('/api/auth/verify-email', { token: 'NOT/valid' }),
			400,
			'invalid_input',
			'token'
		);
		expectApiError(await c.post('/api/auth/verify-email', {}), 400, 'invalid_input', 'token');
	});

	it('sends a fresh link on request', async () => {
		const { c, email } = await register();
		await waitForMails(app.database, email, VERIFY_SUBJECT, 1);
		const reply = await c.post('/api/auth/resend-verification');
		expect(reply.status, reply.text).toBe(202);
		const mails = await waitForMails(app.database, email, VERIFY_SUBJECT, 2);
		const token = tokenFromMail(mails[0]!, '/verify-email');
		expect((await c.post('/api/auth/verify-email', { token })).status).toBe(200);
		expectApiError(
			await app.client().post('/api/auth/resend-verification'),
			401,
			'unauthenticated'
		);
	});
});

describe('password reset', () => {
	it('answers the same whether or not the email has an account', async () => {
		const { email } = await register();
		const known = await app.client().post('/api/auth/forgot-password', { email });
		const ghost = uniqueEmail('ghost');
		const unknown = await app.client().post('/api/auth/forgot-password', { email: ghost });
		expect(known.status).toBe(202);
		expect(unknown.status).toBe(known.status);
		expect(unknown.text).toBe(known.text);
		await waitForMails(app.database, email, RESET_SUBJECT);
		expect(await app.database.collections.outbox.countDocuments({ to: ghost })).toBe(0);

		const form = await app.client().submitForm('/forgot-password', { email: ghost });
		expect(form.status).toBe(200);
		expect(form.text).toContain(`If an account uses ${ghost}`);
	});

	it('resets once and only once, and logs the user out everywhere', async () => {
		const { c: phone, email } = await register();
		const { c: laptop } = await login(email, PASSWORD);
		expect((await laptop.get('/api/me')).status).toBe(200);

		const token = await requestReset(email);
		const reset = await app.client().post('/api/auth/reset-password', {
			token,
			password: NEW_PASSWORD
		});
		expect(reset.status, reset.text).toBe(204);

		expectApiError(await phone.get('/api/me'), 401, 'unauthenticated');
		expectApiError(await laptop.get('/api/me'), 401, 'unauthenticated');

		expectApiError((await login(email, PASSWORD)).reply, 401, 'invalid_credentials');
		const fresh = await login(email, NEW_PASSWORD);
		expect(fresh.reply.status).toBe(200);
		// The reset link proved the mailbox is theirs.
		expect(fresh.reply.json.user.emailVerified).toBe(true);

		const again = await app.client().post('/api/auth/reset-password', {
			token,
			password: 'third password 789'
		});
		expectApiError(again, 400, 'invalid_token', 'token');
		expect((await login(email, NEW_PASSWORD)).reply.status).toBe(200);
	});

	it('retires older reset links when one is used', async () => {
		const { email } = await register();
		const older = await requestReset(email, 1);
		const newer = await requestReset(email, 2);
		expect(newer).not.toBe(older);
		const used = await app.client().post('/api/auth/reset-password', {
			token: newer,
			password: NEW_PASSWORD
		});
		expect(used.status).toBe(204);
		expectApiError(
			await app.client().post('/api/auth/reset-password', {
				token: older,
				password: PASSWORD
			}),
			400,
			'invalid_token'
		);
		expect((await login(email, NEW_PASSWORD)).reply.status).toBe(200);
	});

	it('refuses an expired reset token', async () => {
		const { email } = await register();
		const token = await requestReset(email);
		await app.database.collections.authTokens.updateOne(
			{ _id: hashAuthToken(token) },
			{ $set: { expiresAt: new Date(Date.now() - 1000) } }
		);
		expectApiError(
			await app.client().post('/api/auth/reset-password', { token, password: NEW_PASSWORD }),
			400,
			'invalid_token'
		);
		expect((await login(email, PASSWORD)).reply.status).toBe(200);
	});

	it('checks the new password before using up the token', async () => {
		const { email } = await register();
		const token = await requestReset(email);
		expectApiError(
			await app.client().post('/api/auth/reset-password', { token, password: 'short' }),
			400,
			'invalid_input',
			'password'
		);
		const ok = await app.client().post('/api/auth/reset-password', {
			token,
			password: NEW_PASSWORD
		});
		expect(ok.status).toBe(204);
	});

	it('resets through the pages: the form signs this browser in and the link then stops working', async () => {
		const { c: other, email } = await register();
		const token = await requestReset(email);
		const browser = app.client();
		const page = await browser.get(`/reset-password?token=${token}`, { accept: 'text/html' });
		expect(page.status).toBe(200);
		expect(page.text).toContain('Choose a new password');

		const mismatch = await browser.submitForm(`/reset-password?token=${token}`, {
			token,
			password: NEW_PASSWORD,
			confirm: 'something else'
		});
		expect(mismatch.status).toBe(400);
		expect(mismatch.text).toContain('The two passwords are not the same.');

		const done = await browser.submitForm(`/reset-password?token=${token}`, {
			token,
			password: NEW_PASSWORD,
			confirm: NEW_PASSWORD
		});
		expect(done.status).toBe(303);
		expect(done.headers.get('location')).toBe('/account?notice=password-reset');
		expect((await browser.get('/api/me')).json.user.email).toBe(email);
		expectApiError(await other.get('/api/me'), 401, 'unauthenticated');

		const reuse = await app.client().submitForm(`/reset-password?token=${token}`, {
			token,
			password: 'yet another one 1',
			confirm: 'yet another one 1'
		});
		expect(reuse.status).toBe(400);
		expect(reuse.text).toContain('invalid, was already used, or has expired');
	});
});

describe('dev outbox page', () => {
	it('lists the latest mails with their links outside production', async () => {
		const { email } = await register('Olive Outbox');
		await waitForMails(app.database, email, VERIFY_SUBJECT);
		const page = await app.client().get(`/dev/outbox?to=${encodeURIComponent(email)}`, {
			accept: 'text/html'
		});
		expect(page.status).toBe(200);
		expect(page.text).toContain('Confirm your email for Dispatch');
		expect(page.text).toContain(`${app.web.url}/verify-email?token=`);
	});

	it('does not exist in production', async () => {
		const prod = await startAuthApp('auth_prod', {
			NODE_ENV: 'production',
			SYNC_SECRET: 'a-production-secret-for-tests-0123456789'
		});
		try {
			const page = await prod.client().get('/dev/outbox', { accept: 'text/html' });
			expect(page.status).toBe(404);
			expect(page.text).not.toContain('Dev outbox');
		} finally {
			await prod.stop();
		}
	});
});
