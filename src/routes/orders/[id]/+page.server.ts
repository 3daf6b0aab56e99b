import { fail } from '@sveltejs/kit';
import { cancelOrder, getOrder, orderServices, renderedOrderState } from '$lib/server/orders';
import { ApiError } from '$lib/server/http';
import { formText } from '$lib/server/validation/form';
import { pageErrorFrom, requireOrderViewer } from '../guard';
import type { Actions, PageServerLoad } from './$types';

// The page is rendered from the order document as the sync-server holds it (its state, read in
// the page too, so it hydrates to the same page), or from the index row if that is not at hand;
// the browser then follows the document live.
export const load: PageServerLoad = async ({ params, locals, url }) => {
	const user = requireOrderViewer(locals, url);
	const service = orderServices();
	let order;
	try {
		order = await getOrder(service, user, params.id);
	} catch (err) {
		pageErrorFrom(err);
	}
	return { order, state: await renderedOrderState(service, order.id) };
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
