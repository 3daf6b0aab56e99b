import type { RequestHandler } from './$types';
import { requireUser } from '$lib/server/auth/guards';
import { apiJson } from '$lib/server/http';
import { getOrder, orderServices } from '$lib/server/orders';

/** GET → {order} for whoever may see it (404 unknown, 403 someone else's). */
export const GET: RequestHandler = async ({ params, locals }) => {
	const user = requireUser(locals);
	return apiJson({ order: await getOrder(orderServices(), user, params.id) });
};
