import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { verifyEmail } from '$lib/server/auth/flows';
import { authServices } from '$lib/server/auth/services';
import { formText } from '$lib/server/validation/form';
import { verifyEmailSchema } from '$lib/server/validation/auth';

// GET only shows a button; the POST consumes the token. Mail scanners that follow links must
// not use up a one-time token.
export const load: PageServerLoad = ({ url, locals }) => {
	return { token: url.searchParams.get('token') ?? '', signedIn: locals.user !== null };
};

export const actions: Actions = {
	default: async ({ request }) => {
		const { token } = formText(await request.formData(), ['token']);
		const parsed = verifyEmailSchema.safeParse({ token });
		const user = parsed.success ? await verifyEmail(authServices(), parsed.data.token) : null;
		if (!user) {
			return fail(400, {
				message:
					'This link is invalid, was already used, or has expired. Ask for a new one on your account page.'
			});
		}
		return { verified: true as const, email: user.email };
	}
};
