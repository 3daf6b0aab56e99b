// Sessions at rest and over time: the database row can't be turned into a working cookie,
// expired sessions are refused, and use slides the expiry forward (and re-sends the cookie).
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	SESSION_COOKIE,
	expectApiError,
	registerAccount,
	setCookieAttributes,
	startAuthApp,
	uniqueEmail,
	type AuthApp
} from './auth-support.ts';

const DAY = 24 * 3600_000;
const PASSWORD = 'sessions are fun 123';

let app: AuthApp;

beforeAll(async () => {
	app = await startAuthApp('auth_sessions');
});

afterAll(async () => {
	await app?.stop();
});

async function signedIn() {
	const c = app.client();
	const reply = await registerAccount(c, {
		email: uniqueEmail('session'),
		password: PASSWORD,
		name: 'Sam Session'
	});
	const token = c.sessionToken!;
	const [id, secret] = token.split('.') as [string, string];
	return { c, token, id, secret, userId: reply.json.user.id as string };
}

/** Moves the session's expiry into the past. */
async function expireSession(id: string) {
	await app.database.collections.sessions.updateOne(
		{ _id: id },
		{ $set: { expiresAt: new Date(Date.now() - 1000) } }
	);
}

describe('the session row holds no usable token', () => {
	it('stores only the id and the SHA-256 of the secret', async () => {
		const { id, secret, token, userId } = await signedIn();
		const row = await app.database.collections.sessions.findOne({ _id: id });
		expect(row).not.toBeNull();
		expect(row!.userId).toBe(userId);

		const stored = new Uint8Array(row!.secretHash.buffer);
		expect(stored).toEqual(sha256(new TextEncoder().encode(secret)));

		const dump = JSON.stringify(row) + Buffer.from(stored).toString('latin1');
		expect(dump).not.toContain(secret);
		expect(dump).not.toContain(token);
		for (const value of Object.values(row!)) expect(String(value)).not.toContain(secret);
	});

	it('refuses every cookie built from what the row holds', async () => {
		const { id } = await signedIn();
		const row = (await app.database.collections.sessions.findOne({ _id: id }))!;
		const hash = new Uint8Array(row.secretHash.buffer);
		const forgeries = [
			id,
			`${id}.`,
			`${id}.${encodeHexLowerCase(hash)}`,
			`${id}.${encodeBase32LowerCaseNoPadding(hash)}`,
			// Same shape as a real token (32 base32 chars), so it reaches the hash comparison.
			`${id}.${encodeBase32LowerCaseNoPadding(hash.slice(0, 20))}`,
			`${id}.${Buffer.from(hash).toString('base64url')}`
		];
		for (const forged of forgeries) {
			const c = app.client();
			c.setSessionToken(forged);
			const reply = await c.get('/api/me');
			expectApiError(reply, 401, 'unauthenticated');
			// A bad cookie is also cleared from the browser.
			expect(setCookieAttributes(reply.headers, SESSION_COOKIE)?.get('value')).toBe('');
		}
		// The row is still there: a forgery doesn't log the real user out.
		expect(await app.database.collections.sessions.countDocuments({ _id: id })).toBe(1);
	});

	it('refuses a real token whose secret was altered by one character', async () => {
		const { id, secret } = await signedIn();
		const flipped = secret.slice(0, -1) + (secret.endsWith('a') ? 'b' : 'a');
		const c = app.client();
		c.setSessionToken(`${id}.${flipped}`);
		expectApiError(await c.get('/api/me'), 401, 'unauthenticated');
	});
});

describe('expiry', () => {
	it('refuses an expired session and deletes its row', async () => {
		const { c, id } = await signedIn();
		expect((await c.get('/api/me')).status).toBe(200);
		await expireSession(id);
		const reply = await c.get('/api/me');
		expectApiError(reply, 401, 'unauthenticated');
		expect(setCookieAttributes(reply.headers, SESSION_COOKIE)?.get('value')).toBe('');
		expect(await app.database.collections.sessions.countDocuments({ _id: id })).toBe(0);
	});

	it('sends an expired session on a guarded page to the login page', async () => {
		const { c, id } = await signedIn();
		await expireSession(id);
		const reply = await c.get('/account', { accept: 'text/html' });
		expect(reply.status).toBe(303);
		expect(reply.headers.get('location')).toBe('/login?next=%2Faccount');
	});

	it('slides the expiry forward when little time is left, and re-sends the cookie', async () => {
		const { c, id, token } = await signedIn();
		// A fresh session is not renewed on every request (no write per request).
		const fresh = await c.get('/api/me');
		expect(fresh.status).toBe(200);
		expect(setCookieAttributes(fresh.headers, SESSION_COOKIE)).toBeNull();

		const soon = new Date(Date.now() + 2 * DAY);
		await app.database.collections.sessions.updateOne({ _id: id }, { $set: { expiresAt: soon } });
		const before = Date.now();
		const renewed = await c.get('/api/me');
		expect(renewed.status).toBe(200);

		const row = (await app.database.collections.sessions.findOne({ _id: id }))!;
		expect(row.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 29 * DAY);

		const cookie = setCookieAttributes(renewed.headers, SESSION_COOKIE);
		expect(cookie, 'the renewed cookie is sent again').not.toBeNull();
		expect(cookie!.get('value')).toBe(token);
		expect(cookie!.has('httponly')).toBe(true);
		// Cookie dates have second precision.
		expect(
			Math.abs(new Date(cookie!.get('expires')!).getTime() - row.expiresAt.getTime())
		).toBeLessThan(1000);
		expect((await c.get('/api/me')).status).toBe(200);
	});

	it('ends a session when its user is deleted', async () => {
		const { c, userId, id } = await signedIn();
		await app.database.collections.users.deleteOne({ _id: userId });
		expectApiError(await c.get('/api/me'), 401, 'unauthenticated');
		expect(await app.database.collections.sessions.countDocuments({ _id: id })).toBe(0);
	});
});
