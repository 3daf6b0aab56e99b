// Sessions as the Lucia project's guide describes them: the token handed to the browser is
// `<id>.<secret>`; the database keeps the id and only the SHA-256 of the secret, compared in
// constant time. Expiry slides forward while the session is used. Shared with the sync-server,
// which authenticates WebSocket upgrades with the same cookie. Expired sessions are pruned in the
// background whenever one is created (housekeeping.ts).
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { Binary } from 'mongodb';
import type { Role } from '../order/index.ts';
import type { Collections, PartnerProfile, SessionDoc, UserDoc } from './db.ts';
import { deleteBatch, PRUNE_BATCH, throttledPrune } from './housekeeping.ts';
import { randomId } from './ids.ts';
import { sha256 } from './sha256.ts';

export const SESSION_COOKIE = 'dispatch_session';
const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** When less than this is left, validation extends the session to a full TTL again. */
const SESSION_RENEW_WITHIN_MS = 15 * 24 * 60 * 60 * 1000;

export interface Session {
	id: string;
	userId: string;
	expiresAt: Date;
	createdAt: Date;
}

export interface SessionUser {
	id: string;
	email: string;
	name: string;
	role: Role;
	emailVerified: boolean;
	/** Partners only: contact details and availability. */
	partner?: PartnerProfile;
}

export interface ValidatedSession {
	session: Session;
	user: SessionUser;
	/** True when validation pushed the expiry forward; the cookie should be re-sent. */
	renewed: boolean;
}

function hashSecret(secret: string): Uint8Array {
	return sha256(secret);
}

export function toSessionUser(user: UserDoc): SessionUser {
	return {
		id: user._id,
		email: user.email,
		name: user.name,
		role: user.role,
		emailVerified: user.emailVerifiedAt !== null,
		...(user.partner ? { partner: user.partner } : {})
	};
}

export async function createSession(
	c: Collections,
	userId: string,
	now = new Date()
): Promise<{ token: string; session: Session }> {
	const id = randomId();
	const secret = randomId(20);
	const doc: SessionDoc = {
		_id: id,
		secretHash: new Binary(hashSecret(secret)),
		userId,
		createdAt: now,
		expiresAt: new Date(now.getTime() + SESSION_TTL_MS)
	};
	await c.sessions.insertOne(doc);
	pruneSessionsSoon(c);
	return { token: `${id}.${secret}`, session: toSession(doc) };
}

/**
 * Deletes up to `batch` sessions that expired by `now` (one never presented again would stay
 * forever: validation deletes only those it is shown); returns how many. Nothing is announced to
 * the sync-server, which refuses an expired session whether or not its row exists.
 * @internal for tests: tests/integration/housekeeping.test.ts
 */
export async function pruneExpiredSessions(
	c: Collections,
	now = new Date(),
	batch = PRUNE_BATCH
): Promise<number> {
	return deleteBatch(c.sessions, { expiresAt: { $lte: now } }, batch);
}

const pruneSessionsSoon = throttledPrune((c, now) => pruneExpiredSessions(c, now));

function toSession(doc: SessionDoc): Session {
	return { id: doc._id, userId: doc.userId, expiresAt: doc.expiresAt, createdAt: doc.createdAt };
}

const TOKEN_SHAPE = /^[a-z2-7]{24}\.[a-z2-7]{32}$/;

/** Returns the session and its user, or null for a malformed, unknown, wrong or expired token. */
export async function validateSessionToken(
	c: Collections,
	token: string | undefined | null,
	now = new Date(),
	/** How the session's user is read (the sync-server passes a short-lived cache). */
	findUser: (userId: string) => Promise<UserDoc | null> = (userId) =>
		c.users.findOne({ _id: userId }),
	/** How the session row is read (the sync-server batches the lookups of a reconnect storm). */
	findSession: (sessionId: string) => Promise<SessionDoc | null> = (sessionId) =>
		c.sessions.findOne({ _id: sessionId })
): Promise<ValidatedSession | null> {
	if (!token || !TOKEN_SHAPE.test(token)) return null;
	const [id, secret] = token.split('.') as [string, string];
	const doc = await findSession(id);
	if (!doc) return null;
	const stored = new Uint8Array(doc.secretHash.buffer);
	if (!constantTimeEqual(hashSecret(secret), stored)) return null;
	if (doc.expiresAt.getTime() <= now.getTime()) {
		await c.sessions.deleteOne({ _id: id });
		return null;
	}
	const user = await findUser(doc.userId);
	if (!user) {
		await c.sessions.deleteOne({ _id: id });
		return null;
	}
	let renewed = false;
	if (doc.expiresAt.getTime() - now.getTime() < SESSION_RENEW_WITHIN_MS) {
		doc.expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
		await c.sessions.updateOne({ _id: id }, { $set: { expiresAt: doc.expiresAt } });
		renewed = true;
	}
	return { session: toSession(doc), user: toSessionUser(user), renewed };
}

/**
 * Tells the sync-server, which polls this short log, to re-check these sessions now. Written after
 * the deletion, so that the re-check finds them gone. If it is lost, the sync-server's periodic
 * full check of every open session still closes their sockets, only later.
 */
async function announceRevocation(
	c: Collections,
	ended: { sessionId: string } | { userId: string }
): Promise<void> {
	await c.sessionRevocations.insertOne({ _id: randomId(), at: new Date(), ...ended });
}

export async function invalidateSession(c: Collections, sessionId: string): Promise<void> {
	await c.sessions.deleteOne({ _id: sessionId });
	await announceRevocation(c, { sessionId });
}

export async function invalidateUserSessions(c: Collections, userId: string): Promise<void> {
	await c.sessions.deleteMany({ userId });
	await announceRevocation(c, { userId });
}

/** Reads one cookie out of a raw `Cookie:` header (for the sync-server's upgrade request). */
export function readCookie(header: string | undefined, name: string): string | null {
	if (!header) return null;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq === -1) continue;
		if (part.slice(0, eq).trim() === name) {
			try {
				return decodeURIComponent(part.slice(eq + 1).trim());
			} catch {
				return null;
			}
		}
	}
	return null;
}
