// Single-use tokens and login limits under concurrent requests, through the real web app on
// FerretDB 1.24, whose conditional updates are not atomic: a token must still work exactly once
// and a limit of N attempts must still let exactly N through, however the requests interleave,
// also when they are spread over two web processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginAttempt } from '../../src/lib/server/auth/login-limits.ts';
import { FREE_FAILURES_PER_ACCOUNT } from '../../src/lib/server/auth/flows.ts';
import { startWebApp, type RunningProcess } from '../support/processes.ts';
import { hitRateLimit, pruneRateLimitSlots } from '../../src/lib/server/auth/rate-limit.ts';
import {
	consumeAuthToken,
	issueAuthToken,
	retireAuthTokens
} from '../../src/lib/server/auth/tokens.ts';
import {
	Client,
	clientFromNewIp,
	loginLimitEnv,
	registerAccount,
	startAuthApp,
	tokenFromMail,
	uniqueEmail,
	waitForMails,
	type AuthApp,
	type Reply
} from './auth-support.ts';

const PASSWORD = 'concurrency password 1';
const PER_EMAIL = 5;
const PER_IP = 8;
/**
 * A day: windows are aligned to the clock, and one that ended while a test counted would start
 * the count again (a run that crossed 02:10:00 with 600 s windows stored 5 + 3 rows).
 */
const WINDOW_SECONDS = 86_400;
const CONCURRENT_USES = 10;
const ROUNDS = 10;

let app: AuthApp;
/** A second web process on the same database: the limits must give the same answers there. */
let second: RunningProcess;

beforeAll(async () => {
	const env = {
		...loginLimitEnv({ perEmail: PER_EMAIL, perIp: PER_IP, windowSeconds: WINDOW_SECONDS }),
		LOGIN_DELAY_MS: '1000'
	};
	app = await startAuthApp('auth_concurrency', env);
	second = await startWebApp({ ...env, MONGODB_URI: app.uri });
});

afterAll(async () => {
	await second?.stop();
	await app?.stop();
});

/** A client whose requests come from an address no other client in this file uses. */
const fromNewIp = () => clientFromNewIp(app, '10.2');

async function register(label: string): Promise<{ email: string; userId: string }> {
	const email = uniqueEmail(label);
	const reply = await registerAccount(fromNewIp(), {
		email,
		password: PASSWORD,
		name: 'Connie Current'
	});
	return { email, userId: reply.json.user.id as string };
}

function statuses(replies: Reply[]): Record<number, number> {
	const counts: Record<number, number> = {};
	for (const r of replies) counts[r.status] = (counts[r.status] ?? 0) + 1;
	return counts;
}

function expectInvalidToken(reply: Reply) {
	expect(reply.status, reply.text).toBe(400);
	expect(reply.json?.error?.code, reply.text).toBe('invalid_token');
}

describe('single-use tokens under concurrent use', () => {
	it(`a verification link used ${CONCURRENT_USES} times at once verifies exactly once, round after round`, async () => {
		for (let round = 0; round < ROUNDS; round++) {
			const { email, userId } = await register(`verify-race-${round}`);
			const [mail] = await waitForMails(app.database, email, /confirm your email/i);
			const token = tokenFromMail(mail!, '/verify-email');

			const replies = await Promise.all(
				Array.from({ length: CONCURRENT_USES }, () =>
					app.client().post('/api/auth/verify-email', { token })
				)
			);
			const winners = replies.filter((r) => r.status === 200);
			expect(winners, `round ${round}: ${JSON.stringify(statuses(replies))}`).toHaveLength(1);
			for (const loser of replies.filter((r) => r.status !== 200)) expectInvalidToken(loser);

			const user = await app.database.collections.users.findOne({ _id: userId });
			expect(user?.emailVerifiedAt).toBeInstanceOf(Date);
			const stored = await app.database.collections.authTokens.findOne({
				userId,
				kind: 'verify-email'
			});
			expect(stored?.usedAt).toBeInstanceOf(Date);
		}
	});

	it(`a reset link used ${CONCURRENT_USES} times at once sets exactly one password`, async () => {
		for (let round = 0; round < ROUNDS / 2; round++) {
			const { email } = await register(`reset-race-${round}`);
			const ask = await fromNewIp().post('/api/auth/forgot-password', { email });
			expect(ask.status, ask.text).toBe(202);
			const [mail] = await waitForMails(app.database, email, /reset your/i);
			const token = tokenFromMail(mail!, '/reset-password');

			const passwords = Array.from({ length: CONCURRENT_USES }, (_, i) => `race ${round} pw ${i}!`);
			const replies = await Promise.all(
				passwords.map((password) =>
					app.client().post('/api/auth/reset-password', { token, password })
				)
			);
			const winners = passwords.filter((_, i) => replies[i]!.status === 204);
			expect(winners, `round ${round}: ${JSON.stringify(statuses(replies))}`).toHaveLength(1);
			for (const loser of replies.filter((r) => r.status !== 204)) expectInvalidToken(loser);

			const login = await fromNewIp().post('/api/auth/login', { email, password: winners[0] });
			expect(login.status, login.text).toBe(200);
		}
	});

	it('lets no use through once the link is retired, even one that read the token as unused', async () => {
		const { userId, email } = await register('retire-race');
		const user = { _id: userId, email };
		const token = await issueAuthToken(app.database.collections, 'reset-password', user);
		await retireAuthTokens(app.database.collections, userId, 'reset-password');
		// A consumption that read the row just before the retirement sees it as unused; the
		// decision must still go against it.
		await app.database.collections.authTokens.updateMany({ userId }, { $set: { usedAt: null } });
		expect(await consumeAuthToken(app.database.collections, 'reset-password', token)).toBeNull();

		const fresh = await issueAuthToken(app.database.collections, 'reset-password', user);
		const used = await consumeAuthToken(app.database.collections, 'reset-password', fresh);
		expect(used?.userId).toBe(userId);
		expect(used?.usedAt).toBeInstanceOf(Date);
		expect(await consumeAuthToken(app.database.collections, 'reset-password', fresh)).toBeNull();
	});
});

describe('login limits under concurrent attempts, answered by two web processes', () => {
	/** A client of the second web process (same database) from a fresh address. */
	const otherProcessFromNewIp = () => {
		const client = fromNewIp();
		return new Client(second.url, client.fixedHeaders);
	};
	/** Alternates between the two processes. */
	const eitherProcess = (i: number) => (i % 2 === 0 ? fromNewIp() : otherProcessFromNewIp());

	it(`lets exactly the ${FREE_FAILURES_PER_ACCOUNT} free failures of 30 simultaneous wrong passwords for one account be checked`, async () => {
		for (let round = 0; round < 3; round++) {
			const { email } = await register(`limit-race-${round}`);
			const replies = await Promise.all(
				Array.from({ length: 30 }, (_, i) =>
					eitherProcess(i).post('/api/auth/login', { email, password: 'not the password' })
				)
			);
			const counts = statuses(replies);
			expect(counts, `round ${round}`).toEqual({
				401: FREE_FAILURES_PER_ACCOUNT,
				429: 30 - FREE_FAILURES_PER_ACCOUNT
			});
			for (const reply of replies.filter((r) => r.status === 429)) {
				expect(reply.json?.error?.code).toBe('rate_limited');
				expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
			}
			// The account must wait now: even the right password is refused.
			const right = await otherProcessFromNewIp().post('/api/auth/login', {
				email,
				password: PASSWORD
			});
			expect(right.status, right.text).toBe(429);
		}
	});

	it(`lets exactly ${PER_IP} of 30 simultaneous wrong attempts from one address through`, async () => {
		const address = fromNewIp().fixedHeaders;
		const replies = await Promise.all(
			Array.from({ length: 30 }, (_, i) =>
				new Client(i % 2 === 0 ? app.web.url : second.url, address).post('/api/auth/login', {
					email: uniqueEmail('spray-race'),
					password: 'password spraying'
				})
			)
		);
		expect(statuses(replies)).toEqual({ 401: PER_IP, 429: 30 - PER_IP });
	});

	it('lets simultaneous correct logins from one address in, and leaves nothing counting', async () => {
		const people = await Promise.all(
			Array.from({ length: PER_IP - 1 }, (_, i) => register(`crowd-${i}`))
		);
		const address = fromNewIp().fixedHeaders;
		const replies = await Promise.all(
			people.map(({ email }, i) =>
				new Client(i % 2 === 0 ? app.web.url : second.url, address).post('/api/auth/login', {
					email,
					password: PASSWORD
				})
			)
		);
		expect(statuses(replies)).toEqual({ 200: PER_IP - 1 });
		const key = `login-ip:${address['x-forwarded-for']}`;
		expect(await app.database.collections.rateLimitSlots.countDocuments({ key })).toBe(0);
	});

	it('stores at most the limit per account, and a success clears it', async () => {
		const { email } = await register('limit-storage');
		const key = `login-email:${email}`;
		for (let i = 0; i < 4; i++) {
			await Promise.all(
				Array.from({ length: 12 }, (_, j) =>
					eitherProcess(j).post('/api/auth/login', { email, password: 'still wrong' })
				)
			);
			await new Promise((r) => setTimeout(r, 2_000));
		}
		const rows = await app.database.collections.rateLimitSlots.find({ key }).toArray();
		expect(rows.length).toBeLessThanOrEqual(PER_EMAIL);
		expect(rows.map((r) => r.slot).sort((a, b) => a - b)).toEqual(
			Array.from({ length: rows.length }, (_, i) => i + 1)
		);

		const fresh = await register('limit-clear');
		for (let i = 0; i < FREE_FAILURES_PER_ACCOUNT; i++) {
			const wrong = await eitherProcess(i).post('/api/auth/login', {
				email: fresh.email,
				password: 'typo typo'
			});
			expect(wrong.status).toBe(401);
		}
		await new Promise((r) => setTimeout(r, 1_100));
		const ok = await otherProcessFromNewIp().post('/api/auth/login', {
			email: fresh.email,
			password: PASSWORD
		});
		expect(ok.status, ok.text).toBe(200);
		expect(
			await app.database.collections.rateLimitSlots.countDocuments({
				key: `login-email:${fresh.email}`
			})
		).toBe(0);
	});
});

describe('failure limits, called directly', () => {
	const limit = {
		bucket: 'direct-fail',
		limit: 6,
		windowSeconds: 600,
		freeFailures: 2,
		delayMs: 60_000,
		maxDelayMs: 60_000
	};

	it('of 40 concurrent attempts lets exactly the free ones in, then makes the rest wait', async () => {
		const key = uniqueEmail('direct-fail');
		const now = new Date();
		const attempts = await Promise.all(
			Array.from({ length: 40 }, () => beginAttempt(app.database.collections, limit, key, now))
		);
		expect(attempts.filter((a) => a.allowed)).toHaveLength(2);
		for (const a of attempts.filter((a) => !a.allowed)) {
			expect(a).toMatchObject({ reason: 'wait' });
		}
	});

	it('counts failures within any window: a burst after a multiple of the window gets nothing more', async () => {
		const key = uniqueEmail('direct-slide');
		const capOnly = { ...limit, bucket: 'direct-slide', freeFailures: Infinity };
		const windowMs = limit.windowSeconds * 1000;
		const bucketEnd = (Math.floor(Date.now() / windowMs) + 2) * windowMs;
		const burst = (at: number) =>
			Promise.all(
				Array.from({ length: 20 }, () =>
					beginAttempt(app.database.collections, capOnly, key, new Date(at))
				)
			);
		expect((await burst(bucketEnd - 1_000)).filter((a) => a.allowed)).toHaveLength(6);
		const after = await burst(bucketEnd + 1_000);
		expect(after.filter((a) => a.allowed)).toHaveLength(0);
		for (const a of after)
			expect(a).toMatchObject({ reason: 'limit', retryAfterMs: windowMs - 2_000 });
	});

	it('without waits, lets exactly the limit in', async () => {
		const key = uniqueEmail('direct-cap');
		const capOnly = { ...limit, bucket: 'direct-cap', freeFailures: Infinity };
		const attempts = await Promise.all(
			Array.from({ length: 40 }, () => beginAttempt(app.database.collections, capOnly, key))
		);
		expect(attempts.filter((a) => a.allowed)).toHaveLength(6);
		expect(attempts.filter((a) => !a.allowed && a.reason === 'limit')).toHaveLength(34);
	});
});

describe('rate limit slots, called directly', () => {
	const WINDOW = 60;
	const WINDOW_MS = WINDOW * 1000;

	it('allows exactly the limit of many concurrent hits within any window, then again as they leave it', async () => {
		const key = uniqueEmail('direct');
		const hit = (now: number) =>
			hitRateLimit(app.database.collections, 'direct', key, 7, WINDOW, new Date(now));
		const burst = (now: number) => Promise.all(Array.from({ length: 40 }, () => hit(now)));
		// the first burst 1 s before a multiple of the window, so the next ones cross it
		const bucketEnd = (Math.floor(Date.now() / WINDOW_MS) + 2) * WINDOW_MS;
		const start = bucketEnd - 1_000;
		expect((await burst(start)).filter((r) => r.allowed)).toHaveLength(7);
		// 2 s later, past the multiple, still within the window of the first burst: all refused,
		// told to come back when the first hits leave the window (59 s on)
		const refused = await burst(start + 2_000);
		expect(refused.filter((r) => r.allowed)).toHaveLength(0);
		for (const r of refused) expect(r).toEqual({ allowed: false, retryAfterSeconds: 58 });
		// a window after the first burst, its hits have left: exactly the limit again
		expect((await burst(start + WINDOW_MS)).filter((r) => r.allowed)).toHaveLength(7);
	});

	it('of hits on either side of a multiple of the window, counts no slot twice', async () => {
		const key = uniqueEmail('straddle');
		const bucketEnd = (Math.floor(Date.now() / WINDOW_MS) + 2) * WINDOW_MS;
		// each pair reads the same free slots, one just before and one just after the multiple, so
		// their inserts (different buckets) cannot collide: the check after the insert decides
		for (let round = 0; round < 5; round++) {
			const results = await Promise.all(
				Array.from({ length: 12 }, (_, i) =>
					hitRateLimit(
						app.database.collections,
						'straddle',
						`${key}-${round}`,
						3,
						WINDOW,
						new Date(bucketEnd + (i % 2 === 0 ? -1 : 1))
					)
				)
			);
			expect(results.filter((r) => r.allowed).length, `round ${round}`).toBeLessThanOrEqual(3);
			const rows = await app.database.collections.rateLimitSlots
				.find({ key: `straddle:${key}-${round}` })
				.toArray();
			expect(rows.length).toBe(results.filter((r) => r.allowed).length);
			expect(new Set(rows.map((r) => r.slot)).size).toBe(rows.length);
		}
	});

	it('reuses a slot freed while others were counting', async () => {
		const key = uniqueEmail('holes');
		const now = new Date();
		const hit = () => hitRateLimit(app.database.collections, 'holes', key, 3, WINDOW, now);
		for (let i = 0; i < 3; i++) expect((await hit()).allowed).toBe(true);
		expect((await hit()).allowed).toBe(false);
		// Slot 1 goes away (as when a login clears its counter between another hit's count and its
		// insert).
		await app.database.collections.rateLimitSlots.deleteOne({ key: `holes:${key}`, slot: 1 });
		expect((await hit()).allowed).toBe(true);
		expect((await hit()).allowed).toBe(false);
	});

	it('prunes rows that stopped counting in bounded batches, and only those', async () => {
		// Rows written directly, all far in the past, so that pruning as of `pruneAt` can touch
		// nothing the other tests wrote (they count until around now) and no background prune
		// triggered by a hit can interfere.
		const key = `prune:${uniqueEmail('prune')}`;
		const longAgo = Date.now() - 3_600_000;
		const slot = (at: number, n: number) => ({
			_id: `${key}:${n}:${Math.floor(at / WINDOW_MS) * WINDOW_MS}`,
			key,
			slot: n,
			at: new Date(at),
			expiresAt: new Date(at + WINDOW_MS)
		});
		await app.database.collections.rateLimitSlots.insertMany([
			slot(longAgo, 1),
			slot(longAgo, 2),
			slot(longAgo, 3),
			slot(longAgo + 10 * WINDOW_MS, 1)
		]);
		const slots = () => app.database.collections.rateLimitSlots.countDocuments({ key });
		const pruneAt = new Date(longAgo + 2 * WINDOW_MS);

		expect(await pruneRateLimitSlots(app.database.collections, pruneAt, 2)).toBe(2);
		expect(await slots()).toBe(2);
		expect(await pruneRateLimitSlots(app.database.collections, pruneAt)).toBe(1);
		expect(await slots()).toBe(1);
		expect(await pruneRateLimitSlots(app.database.collections, pruneAt)).toBe(0);
		const left = await app.database.collections.rateLimitSlots.findOne({ key });
		expect(left!.expiresAt.getTime()).toBeGreaterThan(pruneAt.getTime());
	});
});
