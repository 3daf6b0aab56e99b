import type { RequestHandler } from './$types';
import { requireUser } from '$lib/server/auth/guards';
import { apiJson } from '$lib/server/http';
import { listQueryFromSearchParams, orderDayStats, orderServices } from '$lib/server/orders';

/**
 * GET ?from&to (ISO; `to` optional) → {stats: {placed, delivered, cancelled, revenue,
 * revenueByCurrency, averageDeliveryMs, from, to}} for orders placed or finished in the span
 * (admins only).
 */
export const GET: RequestHandler = async ({ url, locals }) => {
	const user = requireUser(locals, ['admin']);
	const stats = await orderDayStats(
		orderServices(),
		user,
		listQueryFromSearchParams(url.searchParams)
	);
	return apiJson({ stats }, { headers: { 'cache-control': 'no-store' } });
};
