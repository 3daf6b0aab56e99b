import type { Collections } from '../../src/lib/server/db.ts';
import type { Logger } from '../../src/lib/server/log.ts';
import { CloseCode } from '../core/close-codes.ts';
import type { SyncServer } from '../core/server.ts';
import type { AuthCache } from './authenticate.ts';
import type { DispatchPrincipal } from './principal.ts';

// one query for all the sessions of a busy server: on FerretDB each query reads the whole
// collection (on MongoDB it is an index lookup per id either way)
const BATCH = 5000;

/**
 * Every `intervalMs`, checks the sessions behind all open sockets and those in the upgrade's
 * cache in a few batched queries, closes (4401 "session ended") the sockets whose session was
 * logged out, deleted or expired, or whose user was deleted or changed role, and drops those
 * sessions from the cache so their next upgrade is read from the database (and refused). A
 * database error skips a round; it never closes anyone.
 */
export function startRevocationSweep(options: {
	server: SyncServer<DispatchPrincipal>;
	collections: Collections;
	intervalMs: number;
	log: Logger;
	cache?: AuthCache;
}) {
	let running = false;

	async function sweep(): Promise<void> {
		const bySession = new Map<string, DispatchPrincipal>();
		for (const conn of options.server.connections()) {
			if (!conn.closed) bySession.set(conn.principal.sessionId, conn.principal);
		}
		options.cache?.sessions.forEach((principal) => bySession.set(principal.sessionId, principal));
		if (bySession.size === 0) return;
		const ended = new Set<string>();
		const endedUsers = new Set<string>();
		const now = Date.now();
		const ids = [...bySession.keys()];
		for (let i = 0; i < ids.length; i += BATCH) {
			const chunk = ids.slice(i, i + BATCH);
			const sessions = await options.collections.sessions
				.find({ _id: { $in: chunk } }, { projection: { expiresAt: 1, userId: 1 } })
				.toArray();
			const live = new Map(sessions.map((s) => [s._id, s]));
			const userIds = [...new Set(sessions.map((s) => s.userId))];
			const users = await options.collections.users
				.find({ _id: { $in: userIds } }, { projection: { role: 1 } })
				.toArray();
			const roles = new Map(users.map((u) => [u._id, u.role]));
			for (const sessionId of chunk) {
				const session = live.get(sessionId);
				const principal = bySession.get(sessionId)!;
				if (
					!session ||
					session.expiresAt.getTime() <= now ||
					roles.get(session.userId) !== principal.actor.role
				) {
					ended.add(sessionId);
					endedUsers.add(principal.id);
				}
			}
		}
		if (ended.size === 0) return;
		options.cache?.forget(ended, endedUsers);
		for (const conn of options.server.connections()) {
			if (ended.has(conn.principal.sessionId)) {
				conn.reject('session_ended', CloseCode.sessionEnded, 'session ended');
			}
		}
	}

	const timer = setInterval(() => {
		if (running) return;
		running = true;
		sweep()
			.catch((error: unknown) => options.log.warn({ err: error }, 'session sweep failed; skipped'))
			.finally(() => (running = false));
	}, options.intervalMs);
	timer.unref();
	return { stop: () => clearInterval(timer) };
}
