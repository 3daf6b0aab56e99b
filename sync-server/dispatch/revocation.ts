import type { Collections } from '../../src/lib/shared/db.ts';
import { batchedFindById } from '../../src/lib/shared/find-by-id.ts';
import type { Logger } from '../../src/lib/shared/log.ts';
import { CloseCode } from '../core/close-codes.ts';
import type { SyncExtension } from '../core/extension.ts';
import type { SyncServer } from '../core/server.ts';
import type { AuthCache } from './authenticate.ts';
import type { DispatchPrincipal } from './principal.ts';

/** Revocations are read again for this long after they were written (clocks of two hosts). */
const CLOCK_MARGIN_MS = 60_000;
/** Revocation notes older than this are deleted. */
const KEEP_REVOCATIONS_MS = 10 * 60_000;
const PRUNE_EVERY_MS = 60_000;

export interface RevocationOptions {
	server: SyncServer<DispatchPrincipal>;
	collections: Collections;
	/** How often the revocation log is polled and expiries are checked. */
	intervalMs: number;
	/** How often every open session is checked again, whatever the log says. */
	fullSweepMs: number;
	log: Logger;
	cache?: AuthCache;
}

/**
 * Closes (4401 "session ended") the sockets whose session ended, and drops those sessions from the
 * upgrade's cache so their next upgrade is read from the database (and refused).
 *
 * Every `intervalMs` it reads what was added to `session_revocations` (the web app's logout and
 * "log out everywhere" write there) and checks, by `_id`, only the sessions named there, and for a
 * minute also those of them whose socket opens later (an upgrade authenticated just before the
 * logout whose document was still loading). Every `fullSweepMs` it checks every open session and
 * its user, in a few batched queries: that catches sessions that expired (30 days, renewed while
 * used) and what changed in the database behind the web app's back (a user deleted or given
 * another role, a session removed by hand). Reading every session every 2 s cost more database
 * time than storing the documents (docs/performance.md, "Why it is built this way"). A database
 * error skips a round; it never closes anyone.
 */
export function revocation(options: RevocationOptions): SyncExtension<DispatchPrincipal> {
	const { collections, server } = options;
	// (batched: the sessions of a whole sweep go out as a few `_id: {$in}` queries)
	const readSession = batchedFindById(collections.sessions, {
		projection: { expiresAt: 1, userId: 1 }
	});
	const readRole = batchedFindById(collections.users, { projection: { role: 1 } });
	let lastFullAt = Date.now();
	let lastPrunedAt = 0;
	let pollSince = new Date(Date.now() - CLOCK_MARGIN_MS);
	/** Revocation notes already read (until they leave the margin). */
	const handled = new Map<string, number>();
	/** Sessions and users named by a note read in the last minute: when the note was read. */
	const namedSessions = new Map<string, number>();
	const namedUsers = new Map<string, number>();
	/** When a check last found these sessions valid (of those a recent note named). */
	const validAt = new Map<string, number>();

	function openSessions(): Map<string, DispatchPrincipal> {
		const bySession = new Map<string, DispatchPrincipal>();
		for (const conn of server.connections()) {
			if (!conn.closed) bySession.set(conn.principal.sessionId, conn.principal);
		}
		options.cache?.sessions.forEach((principal) => bySession.set(principal.sessionId, principal));
		return bySession;
	}

	/**
	 * Which of these sessions ended (gone, expired, user gone or role changed): their sockets are
	 * closed and the cache forgets them. Returns them.
	 */
	async function check(
		bySession: Map<string, DispatchPrincipal>,
		ids: string[]
	): Promise<Set<string>> {
		const ended = new Set<string>();
		const endedUsers = new Set<string>();
		const now = Date.now();
		const sessions = await Promise.all(ids.map(readSession));
		const userIds = new Set(sessions.flatMap((session) => (session ? [session.userId] : [])));
		const users = await Promise.all([...userIds].map(readRole));
		const roles = new Map(users.flatMap((user) => (user ? [[user._id, user.role] as const] : [])));
		ids.forEach((sessionId, i) => {
			const session = sessions[i];
			const principal = bySession.get(sessionId)!;
			if (
				!session ||
				session.expiresAt.getTime() <= now ||
				roles.get(session.userId) !== principal.actor.role
			) {
				ended.add(sessionId);
				endedUsers.add(principal.id);
			}
		});
		if (ended.size === 0) return ended;
		options.cache?.forget(ended, endedUsers);
		for (const conn of server.connections()) {
			if (ended.has(conn.principal.sessionId)) {
				conn.reject('session_ended', CloseCode.sessionEnded, 'session ended');
			}
		}
		return ended;
	}

	/** Every open session, its user and its role, read again. */
	async function fullSweep(): Promise<void> {
		const bySession = openSessions();
		if (bySession.size > 0) await check(bySession, [...bySession.keys()]);
	}

	/**
	 * The sessions the revocation log names, read again. An upgrade authenticated just before a
	 * logout can still be loading its document when the note is read, and open its socket after
	 * that: so each poll also looks for open sessions that a note of the last minute names and
	 * that no check has found valid since that note was read.
	 */
	async function poll(): Promise<void> {
		const startedAt = Date.now();
		const notes = await collections.sessionRevocations.find({ at: { $gte: pollSince } }).toArray();
		for (const note of notes) {
			if (handled.has(note._id)) continue;
			handled.set(note._id, note.at.getTime());
			if (note.sessionId) namedSessions.set(note.sessionId, startedAt);
			if (note.userId) namedUsers.set(note.userId, startedAt);
		}
		// (the open sessions are gathered only while some note is recent)
		if (namedSessions.size > 0 || namedUsers.size > 0) {
			const bySession = openSessions();
			const suspects: string[] = [];
			for (const [sessionId, principal] of bySession) {
				const namedAt = Math.max(
					namedSessions.get(sessionId) ?? -Infinity,
					namedUsers.get(principal.id) ?? -Infinity
				);
				if (namedAt > (validAt.get(sessionId) ?? -Infinity)) suspects.push(sessionId);
			}
			if (suspects.length > 0) {
				const ended = await check(bySession, suspects);
				for (const sessionId of suspects) {
					if (!ended.has(sessionId)) validAt.set(sessionId, startedAt);
				}
			}
		}
		pollSince = new Date(startedAt - CLOCK_MARGIN_MS);
		for (const [id, at] of handled) if (at < pollSince.getTime()) handled.delete(id);
		for (const named of [namedSessions, namedUsers, validAt]) {
			for (const [id, at] of named) if (at < startedAt - CLOCK_MARGIN_MS) named.delete(id);
		}
		if (startedAt - lastPrunedAt >= PRUNE_EVERY_MS) {
			lastPrunedAt = startedAt;
			await collections.sessionRevocations.deleteMany({
				at: { $lt: new Date(startedAt - KEEP_REVOCATIONS_MS) }
			});
		}
	}

	let timer: NodeJS.Timeout | null = null;
	/** The sweep in flight: a stop waits for it, so it never meets a closed database client. */
	let sweep: Promise<void> | null = null;
	return {
		name: 'revocation',
		start() {
			timer = setInterval(() => {
				if (sweep) return;
				const full = Date.now() - lastFullAt >= options.fullSweepMs;
				sweep = (full ? fullSweep().then(() => void (lastFullAt = Date.now())) : poll())
					.catch((error: unknown) =>
						options.log.warn({ err: error }, 'session sweep failed; skipped')
					)
					.finally(() => (sweep = null));
			}, options.intervalMs);
			timer.unref();
		},
		async stopping() {
			if (timer) clearInterval(timer);
			timer = null;
			await sweep;
		}
	};
}
