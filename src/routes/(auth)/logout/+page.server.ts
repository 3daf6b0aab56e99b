import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { clearSessionCookie } from '$lib/server/auth/cookie';
import { invalidateSession } from '../../../lib/shared/session';
import { ctx } from '$lib/server/context';

// Logging out is a POST (the header's form, or the button on this page): a GET that logs out
// could be triggered by any page linking an image to /logout.
export const load: PageServerLoad = ({ locals }) => {
	if (!locals.user) redirect(303, '/login');
	return { name: locals.user.name };
};

export const actions: Actions = {
	default: async ({ locals, cookies }) => {
		const { config, database } = ctx();
		if (locals.session) await invalidateSession(database.collections, locals.session.id);
		clearSessionCookie(cookies, config.secureCookies);
		redirect(303, '/login?notice=signedout');
	}
};
