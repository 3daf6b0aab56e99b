import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { startSession } from '$lib/server/auth/cookie';
import { registerAccount } from '$lib/server/auth/flows';
import { homePathFor, safeNextPath } from '$lib/server/auth/redirect';
import { authServices } from '$lib/server/auth/services';
import { ctx } from '$lib/server/context';
import { apiErrorFailure, formText, roleFields, schemaFailure } from '$lib/server/validation/form';
import { registerSchema } from '$lib/server/validation/auth';

const FIELDS = [
	'name',
	'email',
	'password',
	'role',
	'partner.phone',
	'partner.vehicle',
	'next'
] as const;

export const load: PageServerLoad = ({ locals, url }) => {
	const next = safeNextPath(url.searchParams.get('next'), '') || null;
	if (locals.user) redirect(303, next ?? homePathFor(locals.user.role));
	return {
		next,
		google: ctx().config.google !== null,
		role: url.searchParams.get('role') === 'partner' ? 'partner' : 'customer'
	};
};

export const actions: Actions = {
	default: async ({ request, cookies }) => {
		const form = await request.formData();
		const { password, next, ...values } = formText(form, FIELDS);
		const parsed = registerSchema.safeParse({
			name: values.name,
			email: values.email,
			password,
			...roleFields(values)
		});
		if (!parsed.success) {
			const failure = schemaFailure(parsed.error, values);
			return fail(failure.status, failure.data);
		}
		const services = authServices();
		let userId: string;
		try {
			userId = (await registerAccount(services, parsed.data))._id;
		} catch (err) {
			const failure = apiErrorFailure(err, values);
			return fail(failure.status, failure.data);
		}
		await startSession(services.collections, cookies, userId, ctx().config.secureCookies);
		redirect(303, safeNextPath(next, homePathFor(parsed.data.role)));
	}
};
