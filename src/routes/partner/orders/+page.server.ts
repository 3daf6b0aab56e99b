import type { PageServerLoad } from './$types';
import { entryFromSummary } from '$lib/components/admin/entries';
import { listOrders, orderServices } from '$lib/server/orders';
import { signedInPartner } from '../staff.server';

/** The partner's orders from the index for the first render; the page then follows its feed. */
export const load: PageServerLoad = async ({ locals }) => {
	const user = signedInPartner(locals);
	const page = await listOrders(orderServices(), user, { limit: '50' });
	return { orders: page.orders.map(entryFromSummary), partnerId: user.id };
};
