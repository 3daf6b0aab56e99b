import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { setPassword, updateName, updatePartnerProfile } from '$lib/server/auth/accounts';
import { startSession } from '$lib/server/auth/cookie';
import {
	limitMailRequests,
	login,
	requestPasswordReset,
	sendVerificationMail
} from '$lib/server/auth/flows';
import { GoogleSignInError, startGoogleFlow } from '$lib/server/auth/google';
import { googleIdentityOf, unlinkGoogle } from '$lib/server/auth/google-accounts';
import { googleMessage } from '$lib/server/auth/google-messages';
import { loginRedirectPath } from '$lib/server/auth/redirect';
import { invalidateUserSessions } from '../../lib/shared/session';
import { authServices } from '$lib/server/auth/services';
import { ctx } from '$lib/server/context';
import {
	checkoutProfile,
	deleteAddress,
	saveAddress,
	savePhone
} from '$lib/server/orders/addresses';
import { apiErrorFailure, formText, schemaFailure } from '$lib/server/validation/form';
import { newPasswordSchema, partnerUpdateSchema, profileSchema } from '$lib/server/validation/auth';

const NOTICES: Record<string, string> = {
	'password-reset': 'Your password is changed. Every other device was logged out.',
	'google-linked': 'Your Google account is linked: you can log in with Google or your password.'
};

export const load: PageServerLoad = async ({ locals, url }) => {
	if (!locals.user) redirect(303, loginRedirectPath('/account'));
	const { config, database } = ctx();
	const c = database.collections;
	const [doc, identity] = await Promise.all([
		c.users.findOne({ _id: locals.user.id }, { projection: { passwordHash: 1 } }),
		googleIdentityOf(c, locals.user.id)
	]);
	return {
		account: locals.user,
		/** A customer's saved addresses and phone, as checkout offers them. */
		checkout:
			locals.user.role === 'customer'
				? await checkoutProfile(ctx().database.collections, locals.user.id)
				: null,
		requireEmailVerification: config.requireEmailVerification,
		notice: NOTICES[url.searchParams.get('notice') ?? ''] ?? null,
		hasPassword: Boolean(doc?.passwordHash),
		google: {
			// admins sign in with their password only
			offered: config.google !== null && locals.user.role !== 'admin',
			linked: identity
				? { email: identity.email, linkedAt: identity.linkedAt.toISOString() }
				: null,
			problem: googleMessage(url.searchParams.get('google'))
		}
	};
};

function signedIn(locals: App.Locals) {
	if (!locals.user) redirect(303, loginRedirectPath('/account'));
	return locals.user;
}

export const actions: Actions = {
	profile: async ({ request, locals }) => {
		const user = signedIn(locals);
		const values = formText(await request.formData(), ['name']);
		const parsed = profileSchema.safeParse(values);
		if (!parsed.success) {
			const failure = schemaFailure(parsed.error, values);
			return fail(failure.status, { form: 'profile' as const, ...failure.data });
		}
		await updateName(ctx().database.collections, user.id, parsed.data.name);
		return { form: 'profile' as const, saved: 'Your name is saved.' };
	},

	partner: async ({ request, locals }) => {
		const user = signedIn(locals);
		if (user.role !== 'partner') {
			return fail(403, {
				form: 'partner' as const,
				values: {},
				errors: {},
				message: 'Only partners have delivery details.'
			});
		}
		const values = formText(await request.formData(), ['phone', 'vehicle']);
		const parsed = partnerUpdateSchema.safeParse(values);
		if (!parsed.success) {
			const failure = schemaFailure(parsed.error, values);
			return fail(failure.status, { form: 'partner' as const, ...failure.data });
		}
		await updatePartnerProfile(ctx().database.collections, user.id, parsed.data);
		return { form: 'partner' as const, saved: 'Your delivery details are saved.' };
	},

	address: async ({ request, locals }) => {
		const user = signedIn(locals);
		const form = await request.formData();
		const v = formText(form, ['id', 'street', 'city', 'postcode', 'notes']);
		const values = { ...v };
		const id = v.id || undefined;
		const input = {
			street: v.street,
			city: v.city,
			postcode: v.postcode,
			...(v.notes.trim() ? { notes: v.notes } : {})
		};
		try {
			await saveAddress(ctx().database.collections, user.id, input, id);
		} catch (err) {
			const failure = apiErrorFailure(err, values);
			// the schema names nested fields `street`, `city`…: the form's own names
			return fail(failure.status, { form: 'address' as const, id: v.id, ...failure.data });
		}
		return { form: 'address' as const, id: v.id, saved: id ? 'Address saved.' : 'Address added.' };
	},

	deleteAddress: async ({ request, locals }) => {
		const user = signedIn(locals);
		const { id } = formText(await request.formData(), ['id']);
		await deleteAddress(ctx().database.collections, user.id, id);
		return { form: 'address' as const, id: '', saved: 'Address deleted.' };
	},

	phone: async ({ request, locals }) => {
		const user = signedIn(locals);
		const values = formText(await request.formData(), ['phone']);
		try {
			await savePhone(ctx().database.collections, user.id, values.phone);
		} catch (err) {
			const failure = apiErrorFailure(err, values);
			return fail(failure.status, { form: 'phone' as const, ...failure.data });
		}
		return { form: 'phone' as const, saved: 'Your phone is saved.' };
	},

	resend: async ({ locals, getClientAddress }) => {
		const user = signedIn(locals);
		if (user.emailVerified)
			return { form: 'verification' as const, saved: 'Your email is already confirmed.' };
		const services = authServices();
		try {
			await limitMailRequests(services, user.email, getClientAddress());
		} catch (err) {
			const failure = apiErrorFailure(err, {});
			return fail(failure.status, { form: 'verification' as const, ...failure.data });
		}
		const doc = await services.collections.users.findOne({ _id: user.id });
		if (doc) await sendVerificationMail(services, doc);
		return { form: 'verification' as const, saved: `We sent a new link to ${user.email}.` };
	},

	linkGoogle: async ({ request, locals, cookies, getClientAddress }) => {
		const user = signedIn(locals);
		const { config, database, log } = ctx();
		const form = 'google' as const;
		if (!config.google || user.role === 'admin') {
			return fail(403, { form, message: 'Linking a Google account is not offered here.' });
		}
		const { current } = formText(await request.formData(), ['current']);
		const problem = (message: string, status: number) =>
			fail(status, { form, values: {}, errors: { current: message }, message });
		if (!current) return problem('Your password is required to link Google.', 400);
		try {
			// Linking adds a way in: the same rate-limited check as a login first.
			await login(authServices(), { email: user.email, password: current }, getClientAddress());
		} catch (err) {
			const failure = apiErrorFailure(err, {});
			return problem(
				failure.status === 401 ? 'Password is incorrect.' : failure.data.message,
				failure.status
			);
		}
		let target: URL;
		try {
			target = await startGoogleFlow(database.collections, config.google, cookies, {
				next: '/account',
				role: null,
				linkUserId: user.id,
				secure: config.secureCookies
			});
		} catch (err) {
			if (!(err instanceof GoogleSignInError)) throw err;
			log.warn({ err: err.cause ?? err }, 'Google link could not start');
			return fail(503, { form, message: googleMessage(err.problem) ?? 'Please try again.' });
		}
		redirect(303, target.toString());
	},

	unlinkGoogle: async ({ locals }) => {
		const user = signedIn(locals);
		const form = 'google' as const;
		const done = await unlinkGoogle(ctx().database.collections, user.id);
		if (!done) {
			return fail(409, {
				form,
				message: 'Set a password first: without Google you could not log in otherwise.'
			});
		}
		return { form, saved: 'Google is unlinked. Log in with your email and password.' };
	},

	passwordMail: async ({ locals, getClientAddress }) => {
		const user = signedIn(locals);
		const form = 'password' as const;
		const services = authServices();
		try {
			await limitMailRequests(services, user.email, getClientAddress());
		} catch (err) {
			const failure = apiErrorFailure(err, {});
			return fail(failure.status, { form, ...failure.data });
		}
		requestPasswordReset(services, user.email);
		return { form, saved: `We sent a link to set your password to ${user.email}.` };
	},

	password: async ({ request, locals, cookies, getClientAddress }) => {
		const user = signedIn(locals);
		const { current, password, confirm } = formText(await request.formData(), [
			'current',
			'password',
			'confirm'
		]);
		const form = 'password' as const;
		const problem = (field: string, message: string, status = 400) =>
			fail(status, {
				form,
				values: {},
				errors: { [field]: message },
				message: status === 429 ? message : 'Please fix the highlighted field.'
			});
		if (!current) return problem('current', 'Current password is required.');
		const parsed = newPasswordSchema.safeParse(password);
		if (!parsed.success)
			return problem('password', parsed.error.issues[0]?.message ?? 'Password is not valid.');
		if (confirm !== password) return problem('confirm', 'The two new passwords are not the same.');
		const services = authServices();
		try {
			// The same rate-limited check as the login form, so this can't be used to guess passwords.
			await login(services, { email: user.email, password: current }, getClientAddress());
		} catch (err) {
			const failure = apiErrorFailure(err, {});
			const message =
				failure.status === 401 ? 'Current password is incorrect.' : failure.data.message;
			return problem('current', message, failure.status);
		}
		await setPassword(services.collections, user.id, parsed.data);
		await invalidateUserSessions(services.collections, user.id);
		await startSession(services.collections, cookies, user.id, ctx().config.secureCookies);
		return { form, saved: 'Your password is changed. Every other device was logged out.' };
	}
};
