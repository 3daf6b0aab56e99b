import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { startSession } from '$lib/server/auth/cookie';
import { login } from '$lib/server/auth/flows';
import { homePathFor, safeNextPath } from '$lib/server/auth/redirect';
import { authServices } from '$lib/server/auth/services';
import { ctx } from '$lib/server/context';
import { googleMessage } from '$lib/server/auth/google-messages';
import { apiErrorFailure, formText, schemaFailure } from '$lib/server/validation/form';
import { loginSchema } from '$lib/server/validation/auth';

/**
 * The same-site page to return to, or null for "the user's home". `next` is the documented
 * parameter; `redirectTo` is accepted too (older links).
 */
function nextParam(url: URL): string | null {
	const next = safeNextPath(url.searchParams.get('next') ?? url.searchParams.get('redirectTo'), '');
	return next || null;
}

const NOTICES: Record<string, string> = {
	signedout: 'You are logged out.',
	expired: 'Your session ended. Please log in again.'
};

export const load: PageServerLoad = ({ locals, url }) => {
	const next = nextParam(url);
	if (locals.user) redirect(303, next ?? homePathFor(locals.user.role));
	return {
		next,
		notice: NOTICES[url.searchParams.get('notice') ?? ''] ?? null,
		google: ctx().config.google !== null,
		googleProblem: googleMessage(url.searchParams.get('google'))
	};
};

export const actions: Actions = {
	default: async ({ request, cookies, getClientAddress }) => {
		const form = await request.formData();
		const { email, password, next } = formText(form, ['email', 'password', 'next']);
		const values = { email };
		const parsed = loginSchema.safeParse({ email, password });
		if (!parsed.success) {
			const failure = schemaFailure(parsed.error, values);
			return fail(failure.status, failure.data);
		}
		const services = authServices();
		let user;
		try {
			user = await login(services, parsed.data, getClientAddress());
		} catch (err) {
			const failure = apiErrorFailure(err, values);
			return fail(failure.status, failure.data);
		}
		await startSession(services.collections, cookies, user._id, ctx().config.secureCookies);
		redirect(303, safeNextPath(next, homePathFor(user.role)));
	}
};
