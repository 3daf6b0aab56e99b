import { error, fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { ID_PATTERN, type Actor } from '$lib/order';
import { ctx } from '$lib/server/context';
import { ApiError } from '$lib/server/http';
import { cancelOrder, orderServices, renderedOrderState, toOrderSummary } from '$lib/server/orders';
import { formText } from '$lib/server/validation/form';
import { signedInAdmin } from '../../staff.server';

/**
 * The order's index row and the document's state for the first render (the event history is the
 * document's); the page then follows the document.
 */
export const load: PageServerLoad = async ({ locals, params }) => {
	const user = signedInAdmin(locals);
	const row = ID_PATTERN.test(params.id)
		? await ctx().database.collections.orders.findOne({ _id: params.id })
		: null;
	if (!row) error(404, { message: 'There is no such order.', code: 'not_found' });
	const actor: Actor = { userId: user.id, role: 'admin', name: user.name };
	return {
		order: toOrderSummary(row),
		actor,
		state: await renderedOrderState(orderServices(), row._id)
	};
};

export const actions: Actions = {
	/** Cancel any non-final order, with an optional reason (written as the event's note). */
	cancel: async ({ request, locals, params }) => {
		const user = signedInAdmin(locals);
		const { reason } = formText(await request.formData(), ['reason']);
		try {
			const order = await cancelOrder(orderServices(), user, params.id, { reason });
			return { action: 'cancel' as const, status: order.status };
		} catch (err) {
			if (!(err instanceof ApiError)) throw err;
			return fail(err.status, {
				action: 'cancel' as const,
				code: err.code,
				message: err.message,
				field: err.field ?? null,
				reason
			});
		}
	}
};
