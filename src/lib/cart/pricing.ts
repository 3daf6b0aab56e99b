// The cart priced against the current menu (prices may have changed since a dish was added, and
// dishes may sell out). Pure, used by the cart and checkout pages; the server prices the order
// again on its own and ignores any price the browser has.
import type { Product } from '$lib/catalog/types';
import type { CartLine } from './cart.svelte';

export interface PricedLine {
	productId: string;
	name: string;
	image: string;
	quantity: number;
	/** The current price (minor units), or the price when added if the dish left the menu. */
	unitPrice: number;
	lineTotal: number;
	/** Why this line cannot be ordered now, or null. */
	problem: 'sold_out' | 'not_on_menu' | null;
}

export interface PricedCart {
	lines: PricedLine[];
	/** Orderable lines only (minor units). */
	subtotal: number;
	deliveryFee: number;
	total: number;
	/** Number of items in the orderable lines. */
	itemCount: number;
	/** Lines that would be refused: checkout asks to remove them first. */
	problems: PricedLine[];
}

export function priceCart(
	lines: readonly CartLine[],
	products: ReadonlyMap<string, Product>,
	deliveryFee: number
): PricedCart {
	const priced = lines.map((line): PricedLine => {
		const product = products.get(line.productId);
		const unitPrice = product?.price ?? line.unitPrice;
		return {
			productId: line.productId,
			name: product?.name ?? line.name,
			image: product?.image ?? line.image,
			quantity: line.quantity,
			unitPrice,
			lineTotal: unitPrice * line.quantity,
			problem: product === undefined ? 'not_on_menu' : product.available ? null : 'sold_out'
		};
	});
	const orderable = priced.filter((line) => line.problem === null);
	const subtotal = orderable.reduce((sum, line) => sum + line.lineTotal, 0);
	return {
		lines: priced,
		subtotal,
		deliveryFee,
		total: orderable.length > 0 ? subtotal + deliveryFee : 0,
		itemCount: orderable.reduce((sum, line) => sum + line.quantity, 0),
		problems: priced.filter((line) => line.problem !== null)
	};
}

export function problemText(problem: PricedLine['problem']): string {
	switch (problem) {
		case 'sold_out':
			return 'Sold out right now';
		case 'not_on_menu':
			return 'No longer on the menu';
		default:
			return '';
	}
}
