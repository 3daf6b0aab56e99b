import type { RequestHandler } from './$types';
import { requireUser } from '$lib/server/auth/guards';
import { apiJson, readJsonBody } from '$lib/server/http';
import { availabilitySchema, orderServices, setAvailability } from '$lib/server/orders';

/** POST {available: boolean} (partner) → {profile}. */
export const POST: RequestHandler = async ({ request, locals }) => {
	const user = requireUser(locals, ['partner']);
	const input = await readJsonBody(request, availabilitySchema);
	return apiJson({ profile: await setAvailability(orderServices(), user, input) });
};
