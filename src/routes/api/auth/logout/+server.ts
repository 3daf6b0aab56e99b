import type { RequestHandler } from './$types';
import { clearSessionCookie } from '$lib/server/auth/cookie';
import { invalidateSession } from '../../../../lib/shared/session';
import { ctx } from '$lib/server/context';

/** POST → 204: deletes the session row and the cookie (also fine without a session). */
export const POST: RequestHandler = async ({ locals, cookies }) => {
	const { config, database } = ctx();
	if (locals.session) await invalidateSession(database.collections, locals.session.id);
	clearSessionCookie(cookies, config.secureCookies);
	return new Response(null, { status: 204 });
};
