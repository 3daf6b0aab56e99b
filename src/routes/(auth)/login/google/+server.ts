import { error, redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { GoogleSignInError, startGoogleFlow } from '$lib/server/auth/google';
import { safeNextPath } from '$lib/server/auth/redirect';
import { ctx } from '$lib/server/context';

/**
 * GET /login/google[?next=/path][&role=partner]: "Continue with Google". Starts an OpenID Connect
 * flow and redirects to the provider. A GET, so the button is a plain link that works without
 * JavaScript; it signs nobody in by itself.
 */
export const GET: RequestHandler = async ({ url, cookies, locals }) => {
	const { config, database } = ctx();
	if (!config.google)
		error(404, { message: 'Signing in with Google is not set up here.', code: 'not_found' });
	const next = safeNextPath(url.searchParams.get('next'), '') || null;
	if (locals.user) redirect(303, next ?? '/');
	const role = url.searchParams.get('role');
	let target: URL;
	try {
		target = await startGoogleFlow(database.collections, config.google, cookies, {
			next,
			role: role === 'partner' || role === 'customer' ? role : null,
			linkUserId: null,
			secure: config.secureCookies
		});
	} catch (err) {
		if (!(err instanceof GoogleSignInError)) throw err;
		ctx().log.warn({ err: err.cause ?? err }, 'Google sign-in could not start');
		redirect(303, `/login?google=${err.problem}`);
	}
	redirect(303, target.toString());
};
