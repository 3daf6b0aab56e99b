import type { RequestHandler } from './$types';
import { requireUser } from '$lib/server/auth/guards';
import { ApiError, apiJson, MAX_JSON_BODY_BYTES } from '$lib/server/http';
import { cancelOrder, orderServices } from '$lib/server/orders';

/** The body is optional: an empty POST cancels without a reason. */
async function optionalJsonBody(request: Request): Promise<unknown> {
	const text = await request.text();
	if (text.trim() === '') return {};
	if (text.length > MAX_JSON_BODY_BYTES) {
		throw new ApiError(400, 'body_too_large', 'The request body is too large.');
	}
	try {
		return JSON.parse(text) as unknown;
	} catch {
		throw new ApiError(400, 'invalid_json', 'The request body is not valid JSON.');
	}
}

/** POST [{reason?}] → 200 {order}: the placing customer while pending, an admin while not final. */
export const POST: RequestHandler = async ({ params, request, locals }) => {
	const user = requireUser(locals);
	const body = await optionalJsonBody(request);
	return apiJson({ order: await cancelOrder(orderServices(), user, params.id, body) });
};
