import type { RequestHandler } from './$types';
import { requireUser } from '$lib/server/auth/guards';
import { apiJson, readJsonBody } from '$lib/server/http';
import { cancelOrder, cancelOrderSchema, orderServices } from '$lib/server/orders';

/**
 * POST [{reason?}] → 200 {order}: the placing customer while pending, an admin while not final.
 * The body is optional (an empty POST cancels without a reason); one that is sent is JSON.
 */
export const POST: RequestHandler = async ({ params, request, locals }) => {
	const user = requireUser(locals);
	const body = await readJsonBody(request, cancelOrderSchema, { optional: true });
	return apiJson({ order: await cancelOrder(orderServices(), user, params.id, body) });
};
