import { fail } from '@sveltejs/kit';
import { cancelOrder, getOrder, orderServices } from '$lib/server/orders';
import { ApiError } from '$lib/server/http';
import { formText } from '$lib/server/validation/form';
import { pageErrorFrom, requireOrderViewer } from '../guard';
import type { Actions, PageServerLoad } from './$types';

// The index row renders the page at once (and without JavaScript); the browser then follows the
// order document live.
export const load: PageServerLoad = async ({ params, locals, url }) => {
	const user = requireOrderViewer(locals, url);
	try {
		return { order: await getOrder(orderServices(), user, params.id) };
	} catch (err) {
		pageErrorFrom(err);
	}
};

export const actions: Actions = {
	cancel: async ({ params, locals, url, request }) => {
		const user = requireOrderViewer(locals, url);
		const { reason } = formText(await request.formData(), ['reason']);
		try {
			await cancelOrder(orderServices(), user, params.id, reason.trim() ? { reason } : {});
		} catch (err) {
			if (err instanceof ApiError) {
				return fail(err.status, { cancelError: err.message, reason });
			}
			throw err;
		}
		return { cancelled: true };
	}
};
