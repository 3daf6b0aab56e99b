import type { RequestHandler } from './$types';
import { requireUser } from '$lib/server/auth/guards';
import { apiJson } from '$lib/server/http';
import { orderServices, partnerProfile } from '$lib/server/orders';

/**
 * GET (partner) → {profile: {id, name, vehicle, phone, available, deliveredCount, ratingAverage,
 * ratingCount, activeCount}}.
 */
export const GET: RequestHandler = async ({ locals }) => {
	const user = requireUser(locals, ['partner']);
	return apiJson({ profile: await partnerProfile(orderServices(), user) });
};
