// The catalog as every client sees it (GET /api/products, the shop, the cart and checkout).

export const CATEGORIES = [
	{ id: 'pizza', name: 'Pizza', blurb: 'Stone-baked, 12 inch, hand-stretched dough.' },
	{ id: 'burgers', name: 'Burgers', blurb: 'Served on a toasted brioche bun.' },
	{ id: 'bowls', name: 'Bowls & Salads', blurb: 'Fresh, filling and made to order.' },
	{ id: 'sides', name: 'Sides', blurb: 'For sharing, or not.' },
	{ id: 'desserts', name: 'Desserts', blurb: 'Something sweet to finish.' },
	{ id: 'drinks', name: 'Drinks', blurb: 'Cold, fresh and fizzy.' }
] as const;

export type CategoryId = (typeof CATEGORIES)[number]['id'];

export interface Category {
	id: string;
	name: string;
	blurb: string;
}

export const PRODUCT_TAGS = ['vegetarian', 'vegan', 'spicy'] as const;
export type ProductTag = (typeof PRODUCT_TAGS)[number];

export const TAG_LABELS: Record<ProductTag, string> = {
	vegetarian: 'Vegetarian',
	vegan: 'Vegan',
	spicy: 'Spicy'
};

export interface Product {
	id: string;
	name: string;
	description: string;
	/** A category id, see CATEGORIES. */
	category: string;
	/** Integer minor units (US cents). */
	price: number;
	/** URL path of the product illustration, e.g. `/products/margherita.svg`. */
	image: string;
	available: boolean;
	tags: ProductTag[];
}

const CATEGORY_ORDER: ReadonlyMap<string, number> = new Map(CATEGORIES.map((c, i) => [c.id, i]));

/** Menu order of a category; unknown categories sort after the known ones. */
export function categoryRank(id: string): number {
	return CATEGORY_ORDER.get(id) ?? CATEGORIES.length;
}

export function categoryName(id: string): string {
	return CATEGORIES.find((c) => c.id === id)?.name ?? id;
}
