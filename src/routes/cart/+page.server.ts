import { listProducts } from '$lib/server/catalog';
import { ctx } from '$lib/server/context';
import { DELIVERY_FEE } from '$lib/server/orders';
import type { PageServerLoad } from './$types';

// The cart itself lives in the browser; the page needs the current menu to price it.
export const load: PageServerLoad = async () => {
	const products = await listProducts(ctx().database.collections);
	return { products, deliveryFee: DELIVERY_FEE };
};
