import { redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { startSession } from '$lib/server/auth/cookie';
import { finishGoogleFlow, GoogleSignInError } from '$lib/server/auth/google';
import { resolveGoogleIdentity, setPendingCookie } from '$lib/server/auth/google-accounts';
import { homePathFor, safeNextPath } from '$lib/server/auth/redirect';
import { ctx } from '$lib/server/context';

/**
 * GET /login/google/callback?code&state (or ?error): the provider's answer. Signs a linked user
 * in, finishes a link from the account page, or sends the person on to finish signing up or to
 * prove the password of the account with their email. Anything wrong ends on the login page with
 * a message and no session.
 */
export const GET: RequestHandler = async ({ url, cookies, locals }) => {
	const { config, database, log } = ctx();
	if (!config.google) redirect(303, '/login');
	const c = database.collections;
	const secure = config.secureCookies;
	let outcome;
	let next: string | null = null;
	try {
		const { identity, flow } = await finishGoogleFlow(c, config.google, cookies, url, secure);
		next = flow.next;
		outcome = await resolveGoogleIdentity(c, identity, flow, locals.user?.id ?? null);
	} catch (err) {
		if (!(err instanceof GoogleSignInError)) throw err;
		log.warn(
			{ problem: err.problem, err: err.cause instanceof Error ? err.cause.message : undefined },
			'Google sign-in refused'
		);
		const back = locals.user && err.problem !== 'state' ? '/account' : '/login';
		redirect(303, `${back}?google=${err.problem}`);
	}
	switch (outcome.kind) {
		case 'signed-in':
			await startSession(c, cookies, outcome.user._id, secure);
			redirect(303, safeNextPath(next, homePathFor(outcome.user.role)));
			break;
		case 'linked':
			redirect(303, '/account?notice=google-linked');
			break;
		case 'pending':
			setPendingCookie(cookies, outcome.token, secure);
			redirect(303, outcome.pending === 'signup' ? '/register/google' : '/login/google/link');
	}
};
