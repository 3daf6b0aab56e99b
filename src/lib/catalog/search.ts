// Searching and grouping the menu. Pure, so the server renders `/?q=…` exactly as the browser
// filters while the user types.
import { CATEGORIES, TAG_LABELS, categoryName, categoryRank, type Product } from './types.ts';

export const MAX_QUERY_LENGTH = 100;

/**
 * Lower-case, accents removed, whitespace collapsed: "Jalapeños" matches "jalapenos".
 * @internal for tests: search.test.ts
 */
export function normalizeText(text: string): string {
	return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The cleaned-up query: trimmed, at most MAX_QUERY_LENGTH characters. */
export function cleanQuery(raw: string | null | undefined): string {
	return (raw ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_QUERY_LENGTH);
}

/** The words a product can be found by. */
function searchWords(product: Product): string[] {
	return normalizeText(
		[
			product.name,
			product.description,
			categoryName(product.category),
			...product.tags.map((t) => TAG_LABELS[t])
		].join(' ')
	)
		.split(/[^\p{L}\p{N}]+/u)
		.filter(Boolean);
}

/**
 * Products where every word of the query starts a word of the name, description, category or
 * dietary tags: "veg" finds vegan and vegetarian dishes, "cola" finds the cola and not the
 * chocolate brownie.
 */
export function filterProducts<T extends Product>(products: readonly T[], query: string): T[] {
	const terms = normalizeText(query)
		.split(/[^\p{L}\p{N}]+/u)
		.filter(Boolean);
	if (terms.length === 0) return [...products];
	return products.filter((p) => {
		const words = searchWords(p);
		return terms.every((term) => words.some((w) => w.startsWith(term)));
	});
}

/**
 * Category order: as listed in CATEGORIES, unknown categories after them by id.
 * @internal for tests: tests/integration/catalog.test.ts
 */
export function compareCategories(a: string, b: string): number {
	return categoryRank(a) - categoryRank(b) || a.localeCompare(b);
}

/** Menu order: category order, then `sort`, then name. */
export function compareMenuOrder(
	a: { category: string; sort: number; name: string },
	b: { category: string; sort: number; name: string }
): number {
	return (
		compareCategories(a.category, b.category) || a.sort - b.sort || a.name.localeCompare(b.name)
	);
}

export interface CategoryGroup<T extends Product = Product> {
	id: string;
	name: string;
	blurb: string;
	products: T[];
}

/** Groups products (already in menu order) by category, in menu order; empty groups are left out. */
export function groupByCategory<T extends Product>(products: readonly T[]): CategoryGroup<T>[] {
	const groups = new Map<string, CategoryGroup<T>>();
	for (const product of products) {
		let group = groups.get(product.category);
		if (!group) {
			const known = CATEGORIES.find((c) => c.id === product.category);
			group = {
				id: product.category,
				name: known?.name ?? product.category,
				blurb: known?.blurb ?? '',
				products: []
			};
			groups.set(product.category, group);
		}
		group.products.push(product);
	}
	return [...groups.values()].sort((a, b) => compareCategories(a.id, b.id));
}
