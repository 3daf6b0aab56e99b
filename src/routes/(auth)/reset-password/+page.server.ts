import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { startSession } from '$lib/server/auth/cookie';
import { resetPassword } from '$lib/server/auth/flows';
import { authServices } from '$lib/server/auth/services';
import { ctx } from '$lib/server/context';
import { formText, schemaFailure } from '$lib/server/validation/form';
import { resetPasswordSchema } from '$lib/server/validation/auth';

export const load: PageServerLoad = ({ url }) => {
	return { token: url.searchParams.get('token') ?? '' };
};

function problem(message: string, errors: Record<string, string> = {}) {
	return fail(400, { values: {}, errors, message });
}

export const actions: Actions = {
	default: async ({ request, cookies }) => {
		const { token, password, confirm } = formText(await request.formData(), [
			'token',
			'password',
			'confirm'
		]);
		const parsed = resetPasswordSchema.safeParse({ token, password });
		if (!parsed.success) {
			const failure = schemaFailure(parsed.error, {});
			if (failure.data.errors.token) failure.data.message = 'This reset link is not valid.';
			return fail(failure.status, failure.data);
		}
		if (confirm !== password) {
			return problem('Please fix the highlighted field.', {
				confirm: 'The two passwords are not the same.'
			});
		}
		const services = authServices();
		const user = await resetPassword(services, parsed.data.token, parsed.data.password);
		if (!user) {
			return problem(
				'This reset link is invalid, was already used, or has expired. Ask for a new one.'
			);
		}
		// Every other session was just ended; this browser gets a fresh one.
		await startSession(services.collections, cookies, user._id, ctx().config.secureCookies);
		redirect(303, '/account?notice=password-reset');
	}
};
