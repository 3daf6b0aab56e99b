import type { PageServerLoad } from './$types';
import { isOrderStatus, ORDER_STATUSES, statusLabel, type OrderStatus } from '$lib/order';
import { ApiError } from '$lib/server/http';
import { listOrders, orderServices, type OrderPage } from '$lib/server/orders';
import { signedInAdmin } from '../staff.server';

const PAGE_SIZE = '25';

/** `?status=` as the page takes it: '' (all), one status or a comma list, as the API does. */
function statusFilter(raw: string): { statuses: OrderStatus[] } | { problem: string } {
	if (raw === '') return { statuses: [] };
	const parts = raw.split(',').map((part) => part.trim());
	const unknown = parts.find((part) => !isOrderStatus(part));
	if (unknown === undefined) return { statuses: parts as OrderStatus[] };
	const known = ORDER_STATUSES.map((status) => statusLabel(status).toLowerCase()).join(', ');
	return { problem: `“${unknown}” is not an order status. Choose one of: ${known}.` };
}

/**
 * Order history from the index (the same service as GET /api/orders): newest first, filtered by
 * status, paged with the opaque cursor. A bad parameter shows its message instead of a 500.
 */
export const load: PageServerLoad = async ({ locals, url }) => {
	const user = signedInAdmin(locals);
	const status = url.searchParams.get('status') ?? '';
	const cursor = url.searchParams.get('cursor') ?? '';
	const filter = statusFilter(status);
	const query: Record<string, string> = { limit: PAGE_SIZE };
	if (status) query.status = status;
	if (cursor) query.cursor = cursor;
	let page: OrderPage = { orders: [], nextCursor: null };
	let problem: string | null = 'problem' in filter ? filter.problem : null;
	if (problem === null) {
		try {
			page = await listOrders(orderServices(), user, query);
		} catch (err) {
			if (!(err instanceof ApiError) || err.status !== 400) throw err;
			problem = err.message;
		}
	}
	return {
		orders: page.orders,
		nextCursor: page.nextCursor,
		status,
		/** The statuses filtered by ([] for all or a filter that does not parse). */
		filtered: 'statuses' in filter ? filter.statuses : [],
		paged: cursor !== '',
		statuses: ORDER_STATUSES,
		problem
	};
};
