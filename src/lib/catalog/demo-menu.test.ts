import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_MENU } from './demo-menu.ts';
import { CATEGORIES, PRODUCT_TAGS } from './types.ts';

describe('the demo menu', () => {
	it('has at least 24 products across at least 5 categories', () => {
		expect(DEMO_MENU.length).toBeGreaterThanOrEqual(24);
		expect(new Set(DEMO_MENU.map((p) => p.category)).size).toBeGreaterThanOrEqual(5);
	});

	it('uses unique ids and names, known categories and tags', () => {
		expect(new Set(DEMO_MENU.map((p) => p.id)).size).toBe(DEMO_MENU.length);
		expect(new Set(DEMO_MENU.map((p) => p.name)).size).toBe(DEMO_MENU.length);
		const categories = new Set<string>(CATEGORIES.map((c) => c.id));
		for (const p of DEMO_MENU) {
			expect(p.id).toMatch(/^[a-z0-9-]+$/);
			expect(categories.has(p.category)).toBe(true);
			for (const tag of p.tags) expect(PRODUCT_TAGS).toContain(tag);
		}
	});

	it('prices every product as a positive whole number of cents', () => {
		for (const p of DEMO_MENU) {
			expect(Number.isInteger(p.price), p.id).toBe(true);
			expect(p.price, p.id).toBeGreaterThan(0);
		}
	});

	it('describes every product and has an SVG illustration for each in static/', () => {
		for (const p of DEMO_MENU) {
			expect(p.description.length, p.id).toBeGreaterThan(10);
			expect(p.image).toBe(`/products/${p.id}.svg`);
			const file = join('static', p.image);
			expect(existsSync(file), file).toBe(true);
			const svg = readFileSync(file, 'utf8');
			expect(svg.startsWith('<svg'), file).toBe(true);
			expect(svg).toContain('viewBox="0 0 320 240"');
			expect(svg.length, file).toBeLessThan(16_000);
		}
	});

	it('keeps unique sort positions within each category', () => {
		for (const c of CATEGORIES) {
			const sorts = DEMO_MENU.filter((p) => p.category === c.id).map((p) => p.sort);
			expect(new Set(sorts).size).toBe(sorts.length);
		}
	});
});
