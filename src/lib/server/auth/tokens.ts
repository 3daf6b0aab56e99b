// One-time tokens for email verification and password reset. The mail carries the token; the
// database keeps only its SHA-256, so a leaked database can't be used to take over accounts.
//
// "Used once" is decided by a unique insert into `auth_token_uses` keyed by the token's hash: the
// first insert wins, every other gets a duplicate-key error. A conditional update
// (`findOneAndUpdate({usedAt: null})`) is not enough: FerretDB 1.24 lets several concurrent ones
// match the same row. `usedAt` on the token row is kept for display and audit only.
//
// Expired tokens, and use records old enough that their token has expired, are pruned in the
// background whenever a token is issued (housekeeping.ts).
import {
	isDuplicateKeyError,
	type AuthTokenDoc,
	type AuthTokenUseDoc,
	type Collections
} from '../../shared/db.ts';
import { deleteBatch, PRUNE_BATCH, throttledPrune } from '../../shared/housekeeping.ts';
import { randomId } from '../../shared/ids.ts';
import { sha256Hex } from '../../shared/sha256.ts';

export type AuthTokenKind = AuthTokenDoc['kind'];

/** @internal for tests: tests/integration/housekeeping.test.ts */
export const AUTH_TOKEN_TTL_MS: Record<AuthTokenKind, number> = {
	'verify-email': 48 * 60 * 60 * 1000,
	'reset-password': 60 * 60 * 1000
};

/** 24 random bytes (192 bits), base32: safe in URLs and mail clients. */
const TOKEN_BYTES = 24;

/** @internal for tests: tests/integration/auth-tokens.test.ts, tests/integration/housekeeping.test.ts */
export function hashAuthToken(token: string): string {
	return sha256Hex(token);
}

export async function issueAuthToken(
	c: Collections,
	kind: AuthTokenKind,
	user: { _id: string; email: string },
	now = new Date()
): Promise<string> {
	const token = randomId(TOKEN_BYTES);
	await c.authTokens.insertOne({
		_id: hashAuthToken(token),
		kind,
		userId: user._id,
		email: user.email,
		createdAt: now,
		expiresAt: new Date(now.getTime() + AUTH_TOKEN_TTL_MS[kind]),
		usedAt: null
	});
	pruneTokensSoon(c);
	return token;
}

/** The longest a token lives: a use record this old belongs to an expired token. */
const LONGEST_TTL_MS = Math.max(...Object.values(AUTH_TOKEN_TTL_MS));

/**
 * Deletes up to `batch` expired tokens and up to `batch` use records of expired tokens; returns
 * how many of each. An expired token is refused whether or not its row and use record exist.
 * @internal for tests: tests/integration/housekeeping.test.ts
 */
export async function pruneExpiredAuthTokens(
	c: Collections,
	now = new Date(),
	batch = PRUNE_BATCH
): Promise<{ tokens: number; uses: number }> {
	const tokens = await deleteBatch(c.authTokens, { expiresAt: { $lte: now } }, batch);
	const uses = await deleteBatch(
		c.authTokenUses,
		{ at: { $lte: new Date(now.getTime() - LONGEST_TTL_MS) } },
		batch
	);
	return { tokens, uses };
}

const pruneTokensSoon = throttledPrune(async (c, now) => {
	const { tokens, uses } = await pruneExpiredAuthTokens(c, now);
	return Math.max(tokens, uses);
});

/**
 * Uses the token up and returns it (with `usedAt` set), or null when it is unknown, of another
 * kind, expired, or already used or retired. Of any number of concurrent calls, one wins.
 */
export async function consumeAuthToken(
	c: Collections,
	kind: AuthTokenKind,
	token: string,
	now = new Date()
): Promise<AuthTokenDoc | null> {
	const row = await c.authTokens.findOne({ _id: hashAuthToken(token), kind });
	if (!row || row.usedAt !== null || row.expiresAt.getTime() <= now.getTime()) return null;
	if (!(await recordUse(c, row, 'used', now))) return null;
	await c.authTokens.updateOne({ _id: row._id }, { $set: { usedAt: now } });
	return { ...row, usedAt: now };
}

/** Retires every unused token of one kind for a user (after a reset, older reset links die). */
export async function retireAuthTokens(
	c: Collections,
	userId: string,
	kind: AuthTokenKind,
	now = new Date()
): Promise<void> {
	const unused = await c.authTokens
		.find({ userId, kind, usedAt: null }, { projection: { _id: 1, userId: 1, kind: 1 } })
		.toArray();
	if (unused.length === 0) return;
	// Taking each token's use slot is what stops a consumption that already read it as unused.
	await Promise.all(unused.map((row) => recordUse(c, row, 'retired', now)));
	await c.authTokens.updateMany(
		{ _id: { $in: unused.map((row) => row._id) }, usedAt: null },
		{ $set: { usedAt: now } }
	);
}

/** The decision: true if this call took the token's single use, false if someone else had. */
async function recordUse(
	c: Collections,
	row: Pick<AuthTokenDoc, '_id' | 'userId' | 'kind'>,
	reason: AuthTokenUseDoc['reason'],
	at: Date
): Promise<boolean> {
	try {
		await c.authTokenUses.insertOne({
			_id: row._id,
			userId: row.userId,
			kind: row.kind,
			reason,
			at
		});
		return true;
	} catch (err) {
		if (isDuplicateKeyError(err)) return false;
		throw err;
	}
}
