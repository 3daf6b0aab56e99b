// Rows that only age out are pruned in bounded batches (src/lib/server/housekeeping.ts), and only
// rows that can no longer be used: an expired session or token is refused whether its row exists
// or not, so pruning changes no answer.
import { Binary } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/lib/shared/db.ts';
import {
	createSession,
	pruneExpiredSessions,
	validateSessionToken
} from '../../src/lib/shared/session.ts';
import {
	AUTH_TOKEN_TTL_MS,
	consumeAuthToken,
	hashAuthToken,
	issueAuthToken,
	pruneExpiredAuthTokens
} from '../../src/lib/server/auth/tokens.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import { createTestUser, eventually } from '../support/sync-clients.ts';

let database: Database;

beforeAll(async () => {
	({ database } = await openTestDatabase('housekeeping'));
});

afterAll(async () => {
	await dropTestDatabase(database);
});

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
/**
 * The time the explicit prunes below run at, 40 days ahead: rows made at the real time are expired
 * then but not now, so the background prunes (which use the real time, and which creating
 * sessions and tokens starts) leave them to the prune under test.
 */
const later = () => new Date(Date.now() + 40 * DAY);

describe('expired sessions', () => {
	it('are pruned a batch at a time; live ones stay and still validate', async () => {
		const c = database.collections;
		const user = await createTestUser(c, 'customer');
		await c.sessions.deleteOne({ _id: user.sessionId }); // only the sessions below are counted
		const now = later();
		// created at the real time: expired 10 days before `now` (the session TTL is 30 days)
		const expired = await Promise.all([
			createSession(c, user.userId),
			createSession(c, user.userId)
		]);
		const live = await createSession(c, user.userId, now);
		const ids = [...expired.map((s) => s.session.id), live.session.id];
		const remaining = async () =>
			(await c.sessions.find({ _id: { $in: ids } }).toArray()).map((row) => row._id).sort();

		expect(await pruneExpiredSessions(c, now, 1)).toBe(1);
		expect(await remaining()).toHaveLength(2);
		expect(await pruneExpiredSessions(c, now, 1)).toBe(1);
		expect(await pruneExpiredSessions(c, now, 1)).toBe(0);
		expect(await remaining()).toEqual([live.session.id]);
		expect((await validateSessionToken(c, live.token, now))?.user.id).toBe(user.userId);
		expect(await validateSessionToken(c, expired[0]!.token, now)).toBeNull();
	});

	it('are pruned in the background when a session is created', async () => {
		// a database of its own: no prune has run for it in this process yet
		const { database: own } = await openTestDatabase('housekeeping_bg');
		try {
			const c = own.collections;
			await c.sessions.insertOne({
				_id: 'expired-session',
				secretHash: new Binary(new Uint8Array(32)),
				userId: 'nobody',
				createdAt: new Date(Date.now() - 31 * 24 * HOUR),
				expiresAt: new Date(Date.now() - 24 * HOUR)
			});
			const user = await createTestUser(c, 'customer'); // creates a session
			await eventually(
				async () => (await c.sessions.countDocuments({ _id: 'expired-session' })) === 0,
				10_000,
				'the expired session pruned'
			);
			expect(await c.sessions.countDocuments({ _id: user.sessionId })).toBe(1);
		} finally {
			await dropTestDatabase(own);
		}
	});
});

describe('expired one-time tokens', () => {
	it('are pruned with the use records of expired tokens; a live token still works', async () => {
		const c = database.collections;
		const user = { _id: 'u-tokens', email: 'tokens@test.invalid' };
		const now = later();
		const real = new Date();
		// a reset token (1 h) issued at the real time: expired at `now`
		const expiredToken = await issueAuthToken(c, 'reset-password', user, real);
		// a verification token (48 h) used at the real time: its use record is old enough at `now`
		const usedLongAgo = await issueAuthToken(c, 'verify-email', user, real);
		expect(await consumeAuthToken(c, 'verify-email', usedLongAgo, real)).not.toBeNull();
		// used at `now`: the token is not expired, its use record must stay
		const usedRecently = await issueAuthToken(c, 'verify-email', user, now);
		expect(await consumeAuthToken(c, 'verify-email', usedRecently, now)).not.toBeNull();
		const live = await issueAuthToken(c, 'reset-password', user, now);

		expect(await pruneExpiredAuthTokens(c, now)).toEqual({ tokens: 2, uses: 1 });
		const tokens = (await c.authTokens.find({ userId: user._id }).toArray()).map((row) => row._id);
		expect(tokens.sort()).toEqual([hashAuthToken(usedRecently), hashAuthToken(live)].sort());
		const uses = (await c.authTokenUses.find({ userId: user._id }).toArray()).map((row) => row._id);
		expect(uses).toEqual([hashAuthToken(usedRecently)]);
		expect(AUTH_TOKEN_TTL_MS['verify-email']).toBeLessThan(40 * DAY);

		expect(await consumeAuthToken(c, 'reset-password', expiredToken, now)).toBeNull();
		expect(await consumeAuthToken(c, 'verify-email', usedRecently, now)).toBeNull();
		expect(await consumeAuthToken(c, 'reset-password', live, now)).not.toBeNull();
		expect(await pruneExpiredAuthTokens(c, now)).toEqual({ tokens: 0, uses: 0 });
	});

	it('are pruned in the background when a token is issued', async () => {
		const { database: own } = await openTestDatabase('housekeeping_tok');
		try {
			const c = own.collections;
			const user = { _id: 'u-bg', email: 'bg@test.invalid' };
			const past = new Date(Date.now() - 2 * HOUR);
			await c.authTokens.insertOne({
				_id: 'expired-token',
				kind: 'reset-password',
				userId: user._id,
				email: user.email,
				createdAt: past,
				expiresAt: new Date(past.getTime() + AUTH_TOKEN_TTL_MS['reset-password']),
				usedAt: null
			});
			const token = await issueAuthToken(c, 'reset-password', user);
			await eventually(
				async () => (await c.authTokens.countDocuments({ _id: 'expired-token' })) === 0,
				10_000,
				'the expired token pruned'
			);
			expect(await c.authTokens.countDocuments({ _id: hashAuthToken(token) })).toBe(1);
		} finally {
			await dropTestDatabase(own);
		}
	});
});
