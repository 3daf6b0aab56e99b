import type { PageServerLoad } from './$types';
import { ORDER_STATUSES } from '$lib/order';
import { ApiError } from '$lib/server/http';
import { listOrders, orderServices, type OrderPage } from '$lib/server/orders';
import { signedInAdmin } from '../staff.server';

const PAGE_SIZE = '25';

/**
 * Order history from the index (the same service as GET /api/orders): newest first, filtered by
 * status, paged with the opaque cursor. A bad parameter shows its message instead of a 500.
 */
export const load: PageServerLoad = async ({ locals, url }) => {
	const user = signedInAdmin(locals);
	const status = url.searchParams.get('status') ?? '';
	const cursor = url.searchParams.get('cursor') ?? '';
	const query: Record<string, string> = { limit: PAGE_SIZE };
	if (status) query.status = status;
	if (cursor) query.cursor = cursor;
	let page: OrderPage = { orders: [], nextCursor: null };
	let problem: string | null = null;
	try {
		page = await listOrders(orderServices(), user, query);
	} catch (err) {
		if (!(err instanceof ApiError) || err.status !== 400) throw err;
		problem = err.message;
	}
	return {
		orders: page.orders,
		nextCursor: page.nextCursor,
		status,
		paged: cursor !== '',
		statuses: ORDER_STATUSES,
		problem
	};
};
