// Login limits that spare honest users: only failed logins count, per address and per
// account, within any window of time; an account's failures make the next attempt wait longer and
// longer and then are refused until the oldest of them leaves the window; a success clears the
// account's counter. The app runs as if
// behind a proxy (ADDRESS_HEADER / XFF_DEPTH, adapter-node's settings), so each request can come
// from the address the test chooses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitAfter } from '../../src/lib/server/auth/login-limits.ts';
import { FREE_FAILURES_PER_ACCOUNT, loginLimitsOf } from '../../src/lib/server/auth/flows.ts';
import { hashPassword } from '../../src/lib/server/auth/password.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import {
	clientFromNewIp,
	expectApiError,
	loginLimitEnv,
	startAuthApp,
	uniqueEmail,
	Client,
	type AuthApp,
	type Reply
} from './auth-support.ts';

const PER_EMAIL = 10;
const PER_IP = 20;
const WINDOW_SECONDS = 3600;
const DELAY_MS = 100;
const PASSWORD = 'rate limited password';
const LIMITS = loginLimitsOf({
	loginLimits: {
		perIp: PER_IP,
		perEmail: PER_EMAIL,
		windowSeconds: WINDOW_SECONDS,
		delayMs: DELAY_MS
	}
});

let app: AuthApp;
let passwordHash: string;

beforeAll(async () => {
	app = await startAuthApp('auth_rate', {
		...loginLimitEnv({ perEmail: PER_EMAIL, perIp: PER_IP, windowSeconds: WINDOW_SECONDS }),
		LOGIN_DELAY_MS: String(DELAY_MS)
	});
	passwordHash = await hashPassword(PASSWORD);
});

afterAll(async () => {
	await app?.stop();
});

/** A client whose requests come from a fresh address. */
const fromNewIp = () => clientFromNewIp(app, '10.1');

/** Accounts with PASSWORD, written straight into the database (one argon2 hash for all). */
async function accounts(count: number, label = 'limited'): Promise<string[]> {
	const now = new Date();
	const users = Array.from({ length: count }, () => ({
		_id: randomId(),
		email: uniqueEmail(label),
		name: 'Lim',
		role: 'customer' as const,
		passwordHash,
		emailVerifiedAt: now,
		createdAt: now,
		updatedAt: now
	}));
	await app.database.collections.users.insertMany(users);
	return users.map((u) => u.email);
}
const account = async () => (await accounts(1))[0]!;

const login = (client: Client, email: string, password: string) =>
	client.post('/api/auth/login', { email, password });

function expectRateLimited(reply: Reply, atLeastSeconds = 1, atMostSeconds = WINDOW_SECONDS) {
	expectApiError(reply, 429, 'rate_limited');
	expect(reply.json.error.message).toMatch(
		/^Too many failed attempts\. Try again in \d+ (second|minute)s?\.$/
	);
	const retryAfter = Number(reply.headers.get('retry-after'));
	expect(retryAfter).toBeGreaterThanOrEqual(atLeastSeconds);
	expect(retryAfter).toBeLessThanOrEqual(atMostSeconds);
	expect(reply.headers.getSetCookie()).toEqual([]);
	return retryAfter;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('login limits that spare honest users', () => {
	it('200 different users log in correctly from one address within a minute, and all succeed', async () => {
		const emails = await accounts(200, 'depot');
		const depot = fromNewIp();
		const started = Date.now();
		const statuses: number[] = [];
		// ten at a time, as people arriving at a depot's Wi-Fi would
		let next = 0;
		await Promise.all(
			Array.from({ length: 10 }, async () => {
				while (next < emails.length) {
					const email = emails[next++]!;
					const reply = await login(new Client(depot.base, depot.fixedHeaders), email, PASSWORD);
					statuses.push(reply.status);
				}
			})
		);
		const elapsed = Date.now() - started;
		expect(statuses).toHaveLength(200);
		expect(statuses.filter((s) => s !== 200)).toEqual([]);
		expect(elapsed).toBeLessThan(60_000);
		// nothing of theirs is left counting against the address
		const key = `login-ip:${depot.fixedHeaders['x-forwarded-for']}`;
		expect(await app.database.collections.rateLimitSlots.countDocuments({ key })).toBe(0);
	});

	it('30 wrong passwords for one account from many addresses: slowed, then refused', async () => {
		const email = await account();
		const outcomes: Array<{ status: number; retryAfter?: number }> = [];
		for (let i = 0; i < 30; i++) {
			const reply = await login(fromNewIp(), email, `wrong guess ${i}`);
			if (reply.status === 401) {
				expectApiError(reply, 401, 'invalid_credentials');
				outcomes.push({ status: 401 });
			} else {
				const retryAfter = expectRateLimited(reply);
				outcomes.push({ status: 429, retryAfter });
				// a patient attacker waits as told (only while the waits are short)
				if (retryAfter < 60) await sleep(retryAfter * 1000);
			}
		}
		const failures = outcomes.filter((o) => o.status === 401).length;
		expect(failures).toBe(PER_EMAIL);
		// the first three cost nothing; after each later failure the next attempt had to wait
		expect(outcomes.slice(0, FREE_FAILURES_PER_ACCOUNT).map((o) => o.status)).toEqual([
			401, 401, 401
		]);
		const waits = outcomes.filter((o) => o.status === 429 && o.retryAfter! < 60);
		expect(waits).toHaveLength(PER_EMAIL - FREE_FAILURES_PER_ACCOUNT);
		// then refused until the oldest failure leaves the window (an hour), whatever the wait
		const refusedAfterLimit = outcomes.slice(outcomes.findLastIndex((o) => o.status === 401) + 1);
		expect(refusedAfterLimit.length).toBeGreaterThan(0);
		for (const o of refusedAfterLimit) expect(o.retryAfter).toBeGreaterThan(60);
		expect(outcomes).toHaveLength(30);

		// the server made each attempt wait at least the growing delay after the failure before it
		const rows = (
			await app.database.collections.rateLimitSlots.find({ key: `login-email:${email}` }).toArray()
		).sort((a, b) => a.at!.getTime() - b.at!.getTime());
		expect(rows).toHaveLength(PER_EMAIL);
		for (let n = 1; n < rows.length; n++) {
			const gap = rows[n]!.at!.getTime() - rows[n - 1]!.failedAt!.getTime();
			expect(gap, `wait before attempt ${n + 1}`).toBeGreaterThanOrEqual(
				waitAfter(LIMITS.perAccount, n)
			);
		}
		expect(waitAfter(LIMITS.perAccount, 3)).toBe(DELAY_MS);
		expect(waitAfter(LIMITS.perAccount, 5)).toBe(4 * DELAY_MS);

		// even the right password is refused now (checking it would answer the guess)
		expectRateLimited(await login(fromNewIp(), email, PASSWORD), 61);
	});

	it('a password spray (one wrong password for each of 100 accounts from one address) is refused after the limit', async () => {
		const emails = await accounts(100, 'spray');
		const attacker = fromNewIp();
		const statuses: number[] = [];
		for (const email of emails) statuses.push((await login(attacker, email, 'Summer2025!')).status);
		expect(statuses.slice(0, PER_IP)).toEqual(Array(PER_IP).fill(401));
		expect(statuses.slice(PER_IP)).toEqual(Array(100 - PER_IP).fill(429));
		// from that address even a right password is refused; elsewhere those accounts are fine
		expectRateLimited(await login(attacker, emails[99]!, PASSWORD), 61);
		expect((await login(fromNewIp(), emails[99]!, PASSWORD)).status).toBe(200);
		expect((await login(fromNewIp(), emails[0]!, PASSWORD)).status).toBe(200);
	});

	it('successes from an address never use up its limit; its failures still count', async () => {
		const emails = await accounts(3 * PER_IP, 'office');
		const office = fromNewIp();
		for (let i = 0; i < PER_IP - 1; i++) {
			expect((await login(office, emails[i]!, 'typo typo')).status).toBe(401);
		}
		// many correct logins after the typos: all in, none counted
		for (const email of emails.slice(PER_IP, 3 * PER_IP)) {
			expect((await login(office, email, PASSWORD)).status).toBe(200);
		}
		expect((await login(office, emails[PER_IP - 1]!, 'one more typo')).status).toBe(401);
		expectRateLimited(await login(office, emails[0]!, 'and another'), 61);
	});

	it('a success clears the account’s failures (and its waits)', async () => {
		const email = await account();
		const c = fromNewIp();
		for (let i = 0; i < FREE_FAILURES_PER_ACCOUNT; i++) {
			expectApiError(await login(c, email, 'typo typo typo'), 401, 'invalid_credentials');
		}
		expectRateLimited(await login(c, email, PASSWORD), 1, 1);
		await sleep(DELAY_MS + 50);
		expect((await login(c, email, PASSWORD)).status).toBe(200);
		expect(
			await app.database.collections.rateLimitSlots.countDocuments({ key: `login-email:${email}` })
		).toBe(0);
		for (let i = 0; i < FREE_FAILURES_PER_ACCOUNT; i++) {
			expectApiError(await login(fromNewIp(), email, 'typo again!!'), 401, 'invalid_credentials');
		}
	});

	it('counts the email in any letter case as the same account', async () => {
		const email = await account();
		for (const variant of [email, email.toUpperCase(), ` ${email}`]) {
			expectApiError(
				await login(fromNewIp(), variant, 'nope nope nope'),
				401,
				'invalid_credentials'
			);
		}
		expectRateLimited(await login(fromNewIp(), email.toUpperCase(), PASSWORD), 1, 1);
	});

	it('limits the login form the same way', async () => {
		const email = await account();
		const c = fromNewIp();
		for (let i = 0; i < FREE_FAILURES_PER_ACCOUNT; i++) {
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
		expect(limited.text).toContain('Too many failed attempts. Try again in 1 second.');
	});
});
