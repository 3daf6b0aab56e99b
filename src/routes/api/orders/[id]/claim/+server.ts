import type { RequestHandler } from './$types';
import { requireUser } from '$lib/server/auth/guards';
import { apiJson } from '$lib/server/http';
import { claimOrder, orderServices } from '$lib/server/orders';

/** POST (partner) → 200 {order}; 409 `already_taken` when another partner was first. */
export const POST: RequestHandler = async ({ params, locals }) => {
	const user = requireUser(locals);
	return apiJson({ order: await claimOrder(orderServices(), user, params.id) });
};
