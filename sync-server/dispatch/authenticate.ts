import type { IncomingMessage } from 'node:http';
import {
	readCookie,
	SESSION_COOKIE,
	validateSessionToken
} from '../../src/lib/server/auth/session.ts';
import type { Collections } from '../../src/lib/server/db.ts';
import { Refusal } from '../core/refusal.ts';
import { originAllowed } from './origin.ts';
import type { DispatchPrincipal } from './principal.ts';

/** The upgrade's authentication: allowed Origin (403), then the web app's session cookie (401). */
export function createAuthenticator(options: {
	collections: Collections;
	allowedOrigins: readonly string[];
}) {
	const allowed = new Set(options.allowedOrigins);
	return async function authenticate(request: IncomingMessage): Promise<DispatchPrincipal> {
		if (!originAllowed(request.headers.origin, allowed)) {
			throw new Refusal(403, 'forbidden_origin', 'origin not allowed');
		}
		const token = readCookie(request.headers.cookie, SESSION_COOKIE);
		if (!token) throw new Refusal(401, 'unauthenticated', 'no session');
		const validated = await validateSessionToken(options.collections, token);
		if (!validated) throw new Refusal(401, 'unauthenticated', 'session invalid or expired');
		const { user, session } = validated;
		return {
			id: user.id,
			sessionId: session.id,
			actor: { userId: user.id, role: user.role, name: user.name }
		};
	};
}
