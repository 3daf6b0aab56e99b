import type { IncomingMessage } from 'node:http';
import { readCookie, SESSION_COOKIE, validateSessionToken } from '../../src/lib/shared/session.ts';
import type { Collections, UserDoc } from '../../src/lib/shared/db.ts';
import { batchedFindById } from '../../src/lib/shared/find-by-id.ts';
import type { SyncExtension } from '../core/extension.ts';
import { Refusal } from '../core/refusal.ts';
import { originAllowed } from './origin.ts';
import type { DispatchPrincipal } from './principal.ts';
import { TtlCache } from './ttl-cache.ts';
import { sha256Hex } from '../../src/lib/shared/sha256.ts';

/**
 * Validated sessions and their users, kept so that the sockets one person opens (a feed and its
 * orders, one order after another, a reconnect after a lost signal) do not each cost the database
 * two lookups; with several processes each keeps its own, and nginx's hash on the document name
 * spreads one person's sockets over them. Only successful validations are kept. Sessions are
 * keyed by the SHA-256 of the whole token, so a cached entry is only ever found with the right
 * secret. The lifetime is not what ends a session here: the revocation poll re-checks the cached
 * sessions a logout names and the full sweep every cached session (revocation.ts), and both
 * forget the ones they end (and their users), so a new upgrade is refused as soon as an open
 * socket would be closed.
 */
export class AuthCache {
	readonly sessions: TtlCache<string, DispatchPrincipal & { sessionExpiresAt: number }>;
	readonly users: TtlCache<string, UserDoc>;

	constructor(
		options: { ttlMs: number; maxEntries: number; now?: () => number },
		counted?: (cache: 'sessions' | 'users', outcome: 'hit' | 'miss') => void
	) {
		this.sessions = new TtlCache({
			...options,
			counted: counted && ((outcome) => counted('sessions', outcome))
		});
		this.users = new TtlCache({
			...options,
			counted: counted && ((outcome) => counted('users', outcome))
		});
	}

	/** The sweep found these sessions ended (logged out, expired, user deleted or role changed). */
	forget(sessionIds: Iterable<string>, userIds: Iterable<string>): void {
		const ended = new Set(sessionIds);
		if (ended.size > 0) this.sessions.deleteWhere((entry) => ended.has(entry.sessionId));
		for (const userId of userIds) {
			this.users.delete(userId);
			this.sessions.deleteWhere((entry) => entry.id === userId);
		}
	}
}

function tokenKey(token: string): string {
	return sha256Hex(token);
}

/**
 * The upgrade's authentication: allowed Origin (403), then the web app's session cookie (401).
 * Presence then shows who someone is as the server knows them, not as their client claims.
 */
export function authentication(options: {
	collections: Collections;
	allowedOrigins: readonly string[];
	cache: AuthCache;
}): SyncExtension<DispatchPrincipal> {
	const allowed = new Set(options.allowedOrigins);
	const { collections, cache } = options;
	const readUser = batchedFindById(collections.users, { projection: { passwordHash: 0 } });
	const findUser = (userId: string) => cache.users.get(userId, () => readUser(userId));
	const findSession = batchedFindById(collections.sessions);

	async function validate(token: string) {
		const validated = await validateSessionToken(
			collections,
			token,
			new Date(),
			findUser,
			findSession
		);
		if (!validated) return null;
		const { user, session } = validated;
		return {
			id: user.id,
			sessionId: session.id,
			actor: { userId: user.id, role: user.role, name: user.name },
			sessionExpiresAt: session.expiresAt.getTime()
		};
	}

	return {
		name: 'authentication',
		async authenticate(request: IncomingMessage): Promise<DispatchPrincipal> {
			if (!originAllowed(request.headers.origin, allowed)) {
				throw new Refusal(403, 'forbidden_origin', 'origin not allowed');
			}
			const token = readCookie(request.headers.cookie, SESSION_COOKIE);
			if (!token) throw new Refusal(401, 'unauthenticated', 'no session');
			const principal = await cache.sessions.get(
				tokenKey(token),
				() => validate(token),
				(entry) => entry.sessionExpiresAt
			);
			if (!principal) throw new Refusal(401, 'unauthenticated', 'session invalid or expired');
			// shared by every socket of the session (nothing mutates a principal)
			return principal;
		},
		stampAwareness(connection, state) {
			const { actor } = connection.principal;
			const claimed = state.user;
			const extra =
				typeof claimed === 'object' && claimed !== null && !Array.isArray(claimed) ? claimed : {};
			return {
				...state,
				user: { ...extra, id: actor.userId, name: actor.name ?? '', role: actor.role }
			};
		}
	};
}
