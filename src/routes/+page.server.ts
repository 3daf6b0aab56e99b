import { cleanQuery } from '$lib/catalog/search';
import { listProducts } from '$lib/server/catalog';
import { ctx } from '$lib/server/context';
import type { PageServerLoad } from './$types';

// The whole menu goes to the page (it is small); the page filters it with the same pure
// function on the server (first render of `/?q=…`, works without JavaScript) and as you type.
export const load: PageServerLoad = async ({ url }) => {
	const products = await listProducts(ctx().database.collections);
	return { products, q: cleanQuery(url.searchParams.get('q')) };
};
