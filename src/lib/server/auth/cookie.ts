// The session cookie: HttpOnly, SameSite=Lax, Path=/, Secure when served over https, and
// Expires = the session's expiry (re-sent whenever the expiry slides forward).
import type { Collections } from '../../shared/db.ts';
import { createSession, SESSION_COOKIE } from '../../shared/session.ts';

/** The slice of SvelteKit's `Cookies` these helpers use. */
export interface CookieJar {
	set(
		name: string,
		value: string,
		opts: { path: string; httpOnly?: boolean; sameSite?: 'lax'; secure?: boolean; expires?: Date }
	): void;
	delete(name: string, opts: { path: string; secure?: boolean }): void;
}

export function setSessionCookie(
	cookies: CookieJar,
	token: string,
	expiresAt: Date,
	secure: boolean
) {
	cookies.set(SESSION_COOKIE, token, {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		secure,
		expires: expiresAt
	});
}

export function clearSessionCookie(cookies: CookieJar, secure: boolean) {
	cookies.delete(SESSION_COOKIE, { path: '/', secure });
}

/** Signs a user in: a new session row and its cookie. */
export async function startSession(
	c: Collections,
	cookies: CookieJar,
	userId: string,
	secure: boolean
): Promise<void> {
	const { token, session } = await createSession(c, userId);
	setSessionCookie(cookies, token, session.expiresAt, secure);
}
