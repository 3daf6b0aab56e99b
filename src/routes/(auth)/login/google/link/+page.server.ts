import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { startSession } from '$lib/server/auth/cookie';
import { login } from '$lib/server/auth/flows';
import { GoogleSignInError } from '$lib/server/auth/google';
import {
	clearPendingCookie,
	completeGoogleLink,
	PENDING_COOKIE,
	readPending
} from '$lib/server/auth/google-accounts';
import { homePathFor, safeNextPath } from '$lib/server/auth/redirect';
import { authServices } from '$lib/server/auth/services';
import { ctx } from '$lib/server/context';
import { apiErrorFailure, formText } from '$lib/server/validation/form';
import { loginPasswordSchema } from '$lib/server/validation/auth';

/**
 * A Google identity whose verified email belongs to an existing account is linked only once that
 * account's password is given here (rate-limited like every login).
 */
export const load: PageServerLoad = async ({ cookies, locals }) => {
	if (locals.user) redirect(303, homePathFor(locals.user.role));
	const pending = await readPending(
		ctx().database.collections,
		cookies.get(PENDING_COOKIE),
		'link'
	);
	if (!pending) redirect(303, '/login?google=expired');
	return { email: pending.email };
};

export const actions: Actions = {
	default: async ({ request, cookies, getClientAddress }) => {
		const { config } = ctx();
		const services = authServices();
		const c = services.collections;
		const pending = await readPending(c, cookies.get(PENDING_COOKIE), 'link');
		if (!pending) redirect(303, '/login?google=expired');
		const { password } = formText(await request.formData(), ['password']);
		const parsed = loginPasswordSchema.safeParse(password);
		if (!parsed.success) {
			return fail(400, {
				values: {},
				errors: { password: parsed.error.issues[0]?.message ?? 'Password is required.' },
				message: 'Please fix the highlighted field.'
			});
		}
		let user;
		try {
			user = await login(
				services,
				{ email: pending.email, password: parsed.data },
				getClientAddress()
			);
		} catch (err) {
			const failure = apiErrorFailure(err, {});
			const message =
				failure.status === 401 ? 'That is not the password of this account.' : failure.data.message;
			// said once, above the form, as the login page says it
			const errors: { password?: string } = {};
			return fail(failure.status, { values: {}, errors, message });
		}
		if (user._id !== pending.userId || user.role === 'admin') {
			clearPendingCookie(cookies, config.secureCookies);
			redirect(303, '/login?google=expired');
		}
		try {
			await completeGoogleLink(c, pending, user);
		} catch (err) {
			if (!(err instanceof GoogleSignInError)) throw err;
			clearPendingCookie(cookies, config.secureCookies);
			redirect(303, `/login?google=${err.problem}`);
		}
		clearPendingCookie(cookies, config.secureCookies);
		await startSession(c, cookies, user._id, config.secureCookies);
		redirect(303, safeNextPath(pending.next, homePathFor(user.role)));
	}
};
