// Server-side pricing: the catalog decides every price; whatever a client sends is ignored.
import type { Product } from '../../catalog/types.ts';
import type { OrderItem } from '../../order/index.ts';
import { ApiError } from '../http.ts';
import { MAX_LINE_QUANTITY } from '../../order/schema.ts';

/**
 * Flat delivery fee in minor units, added to every order's total. Delivery is free: the demo
 * menu's prices include it. Kept as a named constant so a fee is a one-line change.
 */
export const DELIVERY_FEE = 0;

export interface RequestedLine {
	productId: string;
	quantity: number;
}

/** A requested line after merging duplicates; `index` is where the product first appeared. */
export interface MergedLine extends RequestedLine {
	index: number;
}

/** Lines naming the same product become one; their quantities add up (at most 50). */
export function mergeLines(lines: readonly RequestedLine[]): MergedLine[] {
	const merged = new Map<string, MergedLine>();
	lines.forEach((line, index) => {
		const existing = merged.get(line.productId);
		if (existing) existing.quantity += line.quantity;
		else merged.set(line.productId, { ...line, index });
	});
	for (const line of merged.values()) {
		if (line.quantity > MAX_LINE_QUANTITY) {
			throw new ApiError(
				400,
				'invalid_input',
				`Quantity of ${line.productId} adds up to ${line.quantity} over several lines; at most ${MAX_LINE_QUANTITY}.`,
				`items.${line.index}.quantity`
			);
		}
	}
	return [...merged.values()];
}

export interface PricedOrder {
	items: OrderItem[];
	subtotal: number;
	deliveryFee: number;
	total: number;
}

/** Prices merged lines from the catalog; an unknown or sold-out product is a 400 on its line. */
export function priceOrder(
	lines: readonly MergedLine[],
	products: ReadonlyMap<string, Product>
): PricedOrder {
	const items: OrderItem[] = [];
	for (const line of lines) {
		const product = products.get(line.productId);
		const field = `items.${line.index}.productId`;
		if (!product) {
			throw new ApiError(400, 'unknown_product', `There is no product ${line.productId}.`, field);
		}
		if (!product.available) {
			throw new ApiError(
				400,
				'product_unavailable',
				`${product.name} is sold out at the moment.`,
				field
			);
		}
		items.push({
			productId: product.id,
			name: product.name,
			quantity: line.quantity,
			unitPrice: product.price
		});
	}
	const subtotal = items.reduce((sum, item) => sum + item.unitPrice * item.quantity, 0);
	return { items, subtotal, deliveryFee: DELIVERY_FEE, total: subtotal + DELIVERY_FEE };
}
