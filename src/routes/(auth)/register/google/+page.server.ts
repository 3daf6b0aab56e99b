import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { startSession } from '$lib/server/auth/cookie';
import { GoogleSignInError } from '$lib/server/auth/google';
import {
	clearPendingCookie,
	completeGoogleSignup,
	PENDING_COOKIE,
	readPending
} from '$lib/server/auth/google-accounts';
import { homePathFor, safeNextPath } from '$lib/server/auth/redirect';
import { ctx } from '$lib/server/context';
import { apiErrorFailure, formText, roleFields, schemaFailure } from '$lib/server/validation/form';
import { googleSignupSchema } from '$lib/server/validation/auth';

const FIELDS = ['name', 'role', 'partner.phone', 'partner.vehicle'] as const;

/** Finishing an account after "Continue with Google": customer or partner, and a name. */
export const load: PageServerLoad = async ({ cookies, locals }) => {
	if (locals.user) redirect(303, homePathFor(locals.user.role));
	const { database } = ctx();
	const pending = await readPending(database.collections, cookies.get(PENDING_COOKIE), 'signup');
	if (!pending) redirect(303, '/login?google=expired');
	return {
		email: pending.email,
		name: pending.name,
		role: pending.role ?? 'customer'
	};
};

export const actions: Actions = {
	default: async ({ request, cookies }) => {
		const { config, database } = ctx();
		const c = database.collections;
		const pending = await readPending(c, cookies.get(PENDING_COOKIE), 'signup');
		if (!pending) redirect(303, '/login?google=expired');
		const values = formText(await request.formData(), FIELDS);
		const parsed = googleSignupSchema.safeParse({ name: values.name, ...roleFields(values) });
		if (!parsed.success) {
			const failure = schemaFailure(parsed.error, values);
			return fail(failure.status, failure.data);
		}
		let user;
		try {
			user = await completeGoogleSignup(c, pending, parsed.data);
		} catch (err) {
			if (err instanceof GoogleSignInError) {
				clearPendingCookie(cookies, config.secureCookies);
				redirect(303, `/login?google=${err.problem}`);
			}
			const failure = apiErrorFailure(err, values);
			return fail(failure.status, failure.data);
		}
		clearPendingCookie(cookies, config.secureCookies);
		await startSession(c, cookies, user._id, config.secureCookies);
		redirect(303, safeNextPath(pending.next, homePathFor(user.role)));
	}
};
