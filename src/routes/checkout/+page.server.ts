import { error, fail, redirect } from '@sveltejs/kit';
import { loginRedirectPath } from '$lib/server/auth/redirect';
import { listProducts } from '$lib/server/catalog';
import { ctx } from '$lib/server/context';
import { createOrder, createOrderSchema, DELIVERY_FEE, orderServices } from '$lib/server/orders';
import { checkoutProfile } from '$lib/server/orders/addresses';
import { apiErrorFailure, formText, schemaFailure } from '$lib/server/validation/form';
import type { Actions, PageServerLoad } from './$types';

// Input names are the order API's field paths, so every error lands under its input.
const FIELDS = [
	'address.street',
	'address.city',
	'address.postcode',
	'address.notes',
	'phone',
	'paymentMethod',
	'items',
	'clientOrderId'
] as const;
type CheckoutValues = Record<(typeof FIELDS)[number], string>;

function requireCustomer(locals: App.Locals, url: URL) {
	const user = locals.user;
	if (!user) redirect(303, loginRedirectPath(url.pathname + url.search));
	if (user.role !== 'customer') {
		error(403, { message: 'Only customer accounts can place orders.', code: 'forbidden' });
	}
	return user;
}

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = requireCustomer(locals, url);
	const { config, database } = ctx();
	const [products, profile] = await Promise.all([
		listProducts(database.collections),
		checkoutProfile(database.collections, user.id)
	]);
	return {
		products,
		deliveryFee: DELIVERY_FEE,
		paymentMethods: config.paymentMethods,
		/** The customer's saved addresses (last used first, preselected) and phone. */
		profile,
		mustVerifyEmail: config.requireEmailVerification && !user.emailVerified
	};
};

/**
 * Errors about the cart (`items`, `items.0.productId`, …) are shown once, above the summary;
 * schema wording meant for API clients is replaced where a person needs other words.
 */
function formErrors(
	errors: Record<string, string>,
	input: { items: unknown; paymentMethod: string | undefined }
): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [key, message] of Object.entries(errors)) {
		const field = key === 'items' || key.startsWith('items.') ? 'items' : key;
		out[field] ??= message;
	}
	if (out.items && !Array.isArray(input.items)) {
		out.items = 'Your cart could not be sent. Go back to your cart and try again.';
	}
	if (out.paymentMethod && input.paymentMethod === undefined) {
		out.paymentMethod = 'Choose how you will pay.';
	}
	return out;
}

export const actions: Actions = {
	default: async ({ request, locals, url }) => {
		const user = requireCustomer(locals, url);
		const form = await request.formData();
		const v = formText(form, FIELDS) as CheckoutValues;
		// What to refill the form with (the cart and the key come from the browser again).
		const values: Partial<CheckoutValues> = {
			'address.street': v['address.street'],
			'address.city': v['address.city'],
			'address.postcode': v['address.postcode'],
			'address.notes': v['address.notes'],
			phone: v.phone,
			paymentMethod: v.paymentMethod
		};

		let items: unknown = undefined;
		if (v.items.trim() !== '') {
			try {
				items = JSON.parse(v.items);
			} catch {
				items = null;
			}
		}
		const input = {
			items,
			address: {
				street: v['address.street'],
				city: v['address.city'],
				postcode: v['address.postcode'],
				...(v['address.notes'].trim() ? { notes: v['address.notes'] } : {})
			},
			phone: v.phone,
			paymentMethod: v.paymentMethod || undefined,
			...(v.clientOrderId ? { clientOrderId: v.clientOrderId } : {})
		};

		// Every field's problem at once (the service itself reports only the first).
		const parsed = createOrderSchema.safeParse(input);
		if (!parsed.success) {
			const failure = schemaFailure(parsed.error, values);
			return fail(failure.status, {
				...failure.data,
				errors: formErrors(failure.data.errors, input)
			});
		}

		let created;
		try {
			created = await createOrder(orderServices(), user, input);
		} catch (err) {
			const failure = apiErrorFailure(err, values);
			return fail(failure.status, {
				...failure.data,
				errors: formErrors(failure.data.errors, input)
			});
		}
		redirect(303, `/orders/${created.id}`);
	}
};
