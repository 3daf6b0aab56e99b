import { MAX_QUERY_LENGTH, cleanQuery, filterProducts } from '$lib/catalog/search';
import { categoriesOf, listProducts } from '$lib/server/catalog';
import { ctx } from '$lib/server/context';
import { apiError, apiJson } from '$lib/server/http';
import type { RequestHandler } from './$types';

// The catalog is public and the same for everyone; a minute of caching is harmless.
const PUBLIC_CACHE = { 'cache-control': 'public, max-age=60' };

/**
 * GET /api/products[?category=<id>][&q=<words>]
 * → { products: Product[] in menu order, categories: {id, name, blurb, count}[] in menu order }
 */
export const GET: RequestHandler = async ({ url }) => {
	const rawQuery = url.searchParams.get('q');
	if (rawQuery !== null && rawQuery.length > MAX_QUERY_LENGTH) {
		return apiError(400, 'invalid_query', `q must be at most ${MAX_QUERY_LENGTH} characters`, 'q');
	}
	const all = await listProducts(ctx().database.collections);
	const category = url.searchParams.get('category');
	if (category !== null && !all.some((p) => p.category === category)) {
		const known = categoriesOf(all).map((c) => c.id);
		return apiError(
			400,
			'invalid_query',
			`category must be one of: ${known.join(', ')}`,
			'category'
		);
	}
	const inCategory = category === null ? all : all.filter((p) => p.category === category);
	const products = filterProducts(inCategory, cleanQuery(rawQuery));
	const categories = categoriesOf(products).map((c) => ({
		...c,
		count: products.filter((p) => p.category === c.id).length
	}));
	return apiJson({ products, categories }, { headers: PUBLIC_CACHE });
};
