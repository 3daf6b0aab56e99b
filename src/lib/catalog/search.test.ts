import { describe, expect, it } from 'vitest';
import { DEMO_MENU, type DemoProduct } from './demo-menu.ts';
import {
	cleanQuery,
	compareMenuOrder,
	filterProducts,
	groupByCategory,
	MAX_QUERY_LENGTH,
	normalizeText
} from './search.ts';
import { CATEGORIES, type Product } from './types.ts';

const menu: DemoProduct[] = [...DEMO_MENU].sort(compareMenuOrder);
const names = (products: Product[]) => products.map((p) => p.name);

describe('filterProducts', () => {
	it('returns everything for an empty or blank query', () => {
		expect(filterProducts(menu, '')).toHaveLength(menu.length);
		expect(filterProducts(menu, '   ')).toHaveLength(menu.length);
	});

	it('matches names, descriptions, category names and dietary tags, ignoring case', () => {
		expect(names(filterProducts(menu, 'MARGHERITA'))).toEqual(['Margherita']);
		expect(names(filterProducts(menu, 'basil'))).toEqual(['Margherita']);
		const desserts = filterProducts(menu, 'desserts');
		expect(desserts.length).toBeGreaterThan(0);
		expect(desserts.every((p) => p.category === 'desserts')).toBe(true);
		const vegan = filterProducts(menu, 'vegan');
		expect(vegan.length).toBeGreaterThan(0);
		expect(vegan.every((p) => p.tags.includes('vegan') || /vegan/i.test(p.description))).toBe(true);
	});

	it('needs every word to match, in any order', () => {
		expect(names(filterProducts(menu, 'chicken spicy'))).toEqual(
			names(filterProducts(menu, 'spicy chicken'))
		);
		for (const p of filterProducts(menu, 'chicken spicy')) {
			const text = normalizeText(`${p.name} ${p.description} ${p.tags.join(' ')}`);
			expect(text).toContain('chicken');
			expect(text).toContain('spicy');
		}
		expect(filterProducts(menu, 'pizza sushi')).toEqual([]);
	});

	it('ignores accents', () => {
		expect(names(filterProducts(menu, 'jalapenos'))).toContain('Diavola');
		expect(normalizeText('Jalapeños  Crème')).toBe('jalapenos creme');
	});

	it('matches the start of words, not the middle', () => {
		expect(names(filterProducts(menu, 'cola'))).toEqual(['Cola']);
		const veg = filterProducts(menu, 'veg');
		expect(veg.length).toBeGreaterThan(filterProducts(menu, 'vegan').length);
		expect(names(veg)).toContain('Garden Veggie');
	});

	it('finds nothing for nonsense', () => {
		expect(filterProducts(menu, 'zzqxv')).toEqual([]);
	});

	it('keeps menu order', () => {
		const result = filterProducts(menu, 'chicken');
		expect(result).toEqual([...result].sort(compareMenuOrder));
	});
});

describe('cleanQuery', () => {
	it('trims, collapses whitespace and caps the length', () => {
		expect(cleanQuery('  green   curry ')).toBe('green curry');
		expect(cleanQuery(null)).toBe('');
		expect(cleanQuery('x'.repeat(500))).toHaveLength(MAX_QUERY_LENGTH);
	});
});

describe('groupByCategory', () => {
	it('groups in the order of CATEGORIES and keeps each group in menu order', () => {
		const groups = groupByCategory(menu);
		expect(groups.map((g) => g.id)).toEqual(CATEGORIES.map((c) => c.id));
		expect(groups.reduce((n, g) => n + g.products.length, 0)).toBe(menu.length);
		for (const group of groups) {
			expect(group.products.every((p) => p.category === group.id)).toBe(true);
			const sorts = group.products.map((p) => DEMO_MENU.find((d) => d.id === p.id)!.sort);
			expect(sorts).toEqual([...sorts].sort((a, b) => a - b));
		}
	});

	it('leaves out empty categories and puts unknown ones last', () => {
		const stray: Product = { ...menu[0]!, id: 'x', category: 'specials' };
		const groups = groupByCategory([stray, ...filterProducts(menu, 'cola')]);
		expect(groups.map((g) => g.id)).toEqual(['drinks', 'specials']);
		expect(groups[1]!.name).toBe('specials');
	});
});
