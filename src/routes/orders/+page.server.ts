import { error } from '@sveltejs/kit';
import { listOrders, orderServices } from '$lib/server/orders';
import { pageErrorFrom, requireOrderViewer } from './guard';
import type { PageServerLoad } from './$types';

const PAGE_SIZE = 20;

// The first page of the customer's orders from the index (rendered without JavaScript too);
// `?cursor=` shows an older page (the "Older orders" link when JavaScript is off).
export const load: PageServerLoad = async ({ locals, url }) => {
	const user = requireOrderViewer(locals, url);
	if (user.role !== 'customer') {
		error(403, { message: 'Order history is for customer accounts.', code: 'forbidden' });
	}
	const cursor = url.searchParams.get('cursor');
	try {
		const page = await listOrders(orderServices(), user, {
			limit: String(PAGE_SIZE),
			...(cursor ? { cursor } : {})
		});
		return { ...page, pageSize: PAGE_SIZE, olderPage: cursor !== null };
	} catch (err) {
		pageErrorFrom(err);
	}
};
