import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { limitMailRequests, requestPasswordReset } from '$lib/server/auth/flows';
import { authServices } from '$lib/server/auth/services';
import { ctx } from '$lib/server/context';
import { apiErrorFailure, formText, schemaFailure } from '$lib/server/validation/form';
import { forgotPasswordSchema } from '$lib/server/validation/auth';

export const load: PageServerLoad = () => {
	const { config } = ctx();
	// Outside production without SMTP, mail lands in the outbox page: point there.
	return { devOutbox: !config.production && !config.smtpUrl };
};

export const actions: Actions = {
	default: async ({ request, getClientAddress }) => {
		const values = formText(await request.formData(), ['email']);
		const parsed = forgotPasswordSchema.safeParse(values);
		if (!parsed.success) {
			const failure = schemaFailure(parsed.error, values);
			return fail(failure.status, failure.data);
		}
		const services = authServices();
		try {
			await limitMailRequests(services, parsed.data.email, getClientAddress());
		} catch (err) {
			const failure = apiErrorFailure(err, values);
			return fail(failure.status, failure.data);
		}
		// The answer is the same whether or not an account uses this email.
		requestPasswordReset(services, parsed.data.email);
		return { sent: true as const, email: parsed.data.email };
	}
};
