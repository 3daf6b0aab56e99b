// One-time tokens for email verification and password reset. The mail carries the token; the
// database keeps only its SHA-256, so a leaked database can't be used to take over accounts.
// Consuming is one atomic update (unused and unexpired → used), so a token works exactly once.
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeHexLowerCase } from '@oslojs/encoding';
import type { AuthTokenDoc, Collections } from '../db.ts';
import { randomId } from '../ids.ts';

export type AuthTokenKind = AuthTokenDoc['kind'];

export const AUTH_TOKEN_TTL_MS: Record<AuthTokenKind, number> = {
	'verify-email': 48 * 60 * 60 * 1000,
	'reset-password': 60 * 60 * 1000
};

/** 24 random bytes (192 bits), base32: safe in URLs and mail clients. */
const TOKEN_BYTES = 24;

export function hashAuthToken(token: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
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
	return token;
}

/** Marks the token used and returns it, or null when it is unknown, of another kind, used or expired. */
export function consumeAuthToken(
	c: Collections,
	kind: AuthTokenKind,
	token: string,
	now = new Date()
): Promise<AuthTokenDoc | null> {
	return c.authTokens.findOneAndUpdate(
		{ _id: hashAuthToken(token), kind, usedAt: null, expiresAt: { $gt: now } },
		{ $set: { usedAt: now } },
		{ returnDocument: 'after' }
	);
}

/** Retires every unused token of one kind for a user (after a reset, older reset links die). */
export async function retireAuthTokens(
	c: Collections,
	userId: string,
	kind: AuthTokenKind,
	now = new Date()
): Promise<void> {
	await c.authTokens.updateMany({ userId, kind, usedAt: null }, { $set: { usedAt: now } });
}
