import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { entryFromSummary } from '$lib/components/admin/entries';
import { ID_PATTERN, type Actor } from '$lib/order';
import { ctx } from '$lib/server/context';
import { orderServices, renderedOrderState, toOrderSummary } from '$lib/server/orders';
import { signedInPartner } from '../../staff.server';

/**
 * Checks the order is assigned to this partner (the sync-server's room policy says the same)
 * and gives the page the document's state for the first render (its index row if that is not at
 * hand); the page then follows the document.
 */
export const load: PageServerLoad = async ({ locals, params }) => {
	const user = signedInPartner(locals);
	const row = ID_PATTERN.test(params.id)
		? await ctx().database.collections.orders.findOne({ _id: params.id })
		: null;
	if (!row || row.partnerId !== user.id) {
		error(404, { message: 'This order is not assigned to you.', code: 'not_found' });
	}
	const actor: Actor = { userId: user.id, role: 'partner', name: user.name };
	return {
		order: entryFromSummary(toOrderSummary(row)),
		actor,
		state: await renderedOrderState(orderServices(), row._id)
	};
};
