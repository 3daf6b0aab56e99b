import { getProduct } from '$lib/server/catalog';
import { ctx } from '$lib/server/context';
import { apiError, apiJson } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** GET /api/products/<id> → { product }, or 404 for an unknown id. */
export const GET: RequestHandler = async ({ params }) => {
	const product = await getProduct(ctx().database.collections, params.id);
	if (!product) return apiError(404, 'not_found', 'There is no product with this id', 'id');
	return apiJson({ product }, { headers: { 'cache-control': 'public, max-age=60' } });
};
