import type { RequestHandler } from './$types';
import { requireUser } from '$lib/server/auth/guards';
import { ApiError, apiJson, readBodyText } from '$lib/server/http';
import { cancelOrder, orderServices } from '$lib/server/orders';

/** The body is optional: an empty POST cancels without a reason. Over the limit: 413. */
async function optionalJsonBody(request: Request): Promise<unknown> {
	const text = await readBodyText(request);
	if (text.trim() === '') return {};
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
