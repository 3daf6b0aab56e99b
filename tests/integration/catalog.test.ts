// The catalog against the real database (FerretDB started by the test run) and the real built
// web app: seeding is idempotent, and GET /api/products serves the menu in menu order.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MENU } from '../../src/lib/catalog/demo-menu.ts';
import { compareCategories } from '../../src/lib/catalog/search.ts';
import { CATEGORIES, type Product } from '../../src/lib/catalog/types.ts';
import { getProductsByIds, listProducts, seedCatalog } from '../../src/lib/server/catalog.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { openTestDatabase } from '../support/database.ts';
import { startWebApp, type RunningProcess } from '../support/processes.ts';

interface ProductsResponse {
	products: Product[];
	categories: { id: string; name: string; blurb: string; count: number }[];
}

let database: Database;
let uri: string;
let app: RunningProcess | undefined;

beforeAll(async () => {
	({ uri, database } = await openTestDatabase('catalog'));
});

afterAll(async () => {
	await app?.stop();
	await database?.close();
});

describe('seedCatalog', () => {
	it('writes the demo menu once, however often it runs', async () => {
		const first = await seedCatalog(database.collections);
		expect(first.inserted).toBe(DEMO_MENU.length);
		const countAfterFirst = await database.collections.products.countDocuments();
		expect(countAfterFirst).toBe(DEMO_MENU.length);
		expect(countAfterFirst).toBeGreaterThanOrEqual(24);

		const second = await seedCatalog(database.collections);
		expect(second).toEqual({ inserted: 0, updated: 0 });
		expect(await database.collections.products.countDocuments()).toBe(countAfterFirst);
	});

	it('restores demo values that were changed and leaves other products alone', async () => {
		await database.collections.products.updateOne({ _id: 'margherita' }, { $set: { price: 1 } });
		await database.collections.products.insertOne({
			_id: 'house-special',
			name: 'House Special',
			description: 'Added by hand.',
			category: 'pizza',
			price: 1700,
			image: '/products/margherita.svg',
			available: true,
			sort: 15
		});
		const result = await seedCatalog(database.collections);
		expect(result).toEqual({ inserted: 0, updated: 1 });
		const margherita = await database.collections.products.findOne({ _id: 'margherita' });
		expect(margherita?.price).toBe(DEMO_MENU.find((p) => p.id === 'margherita')!.price);
		expect(await database.collections.products.countDocuments()).toBe(DEMO_MENU.length + 1);
		await database.collections.products.deleteOne({ _id: 'house-special' });
	});

	it('stores valid products: positive integer prices, known categories, existing images', async () => {
		const docs = await database.collections.products.find({}).toArray();
		const categories = new Set(docs.map((d) => d.category));
		expect(categories.size).toBeGreaterThanOrEqual(5);
		for (const doc of docs) {
			expect(Number.isInteger(doc.price) && doc.price > 0, doc._id).toBe(true);
			expect(
				CATEGORIES.some((c) => c.id === doc.category),
				doc._id
			).toBe(true);
			expect(existsSync(join('static', doc.image)), doc.image).toBe(true);
			expect(doc.name.length).toBeGreaterThan(0);
			expect(doc.description.length).toBeGreaterThan(0);
		}
	});

	it('looks products up by id for pricing, ignoring unknown and repeated ids', async () => {
		const found = await getProductsByIds(database.collections, [
			'cola',
			'fries',
			'cola',
			'no-such-dish'
		]);
		expect([...found.keys()].sort()).toEqual(['cola', 'fries']);
		expect(found.get('cola')).toMatchObject({ name: 'Cola', price: 250, available: true });
		expect((await getProductsByIds(database.collections, [])).size).toBe(0);
	});

	it('lists products in menu order', async () => {
		const products = await listProducts(database.collections);
		expect(products.map((p) => p.id)).toEqual(
			[...DEMO_MENU]
				.sort((a, b) => compareCategories(a.category, b.category) || a.sort - b.sort)
				.map((p) => p.id)
		);
	});
});

describe('GET /api/products on the built web app', () => {
	beforeAll(async () => {
		await seedCatalog(database.collections);
		app = await startWebApp({ MONGODB_URI: uri, SYNC_URL: 'ws://127.0.0.1:4999' });
	});

	it('returns every product, grouped by category in menu order, with a short public cache', async () => {
		const res = await fetch(`${app!.url}/api/products`);
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toMatch(/application\/json/);
		expect(res.headers.get('cache-control')).toBe('public, max-age=60');
		const body = (await res.json()) as ProductsResponse;

		expect(body.products).toHaveLength(DEMO_MENU.length);
		for (const p of body.products) {
			expect(Object.keys(p).sort()).toEqual(
				['available', 'category', 'description', 'id', 'image', 'name', 'price', 'tags'].sort()
			);
			expect(Number.isInteger(p.price) && p.price > 0).toBe(true);
		}
		// Grouped: each category's products are contiguous, categories in CATEGORIES order.
		const runs = body.products
			.map((p) => p.category)
			.filter((c, i, all) => i === 0 || all[i - 1] !== c);
		expect(runs).toEqual(CATEGORIES.map((c) => c.id));
		expect(body.categories.map((c) => c.id)).toEqual(CATEGORIES.map((c) => c.id));
		for (const c of body.categories) {
			expect(c.count).toBe(body.products.filter((p) => p.category === c.id).length);
		}
		// Sorted within each category by the seeded sort position.
		for (const c of CATEGORIES) {
			const ids = body.products.filter((p) => p.category === c.id).map((p) => p.id);
			const expected = DEMO_MENU.filter((p) => p.category === c.id)
				.sort((a, b) => a.sort - b.sort)
				.map((p) => p.id);
			expect(ids).toEqual(expected);
		}
	});

	it('serves every product image', async () => {
		const res = await fetch(`${app!.url}/api/products`);
		const { products } = (await res.json()) as ProductsResponse;
		for (const p of products) {
			const img = await fetch(`${app!.url}${p.image}`);
			expect(img.status, p.image).toBe(200);
			expect(img.headers.get('content-type'), p.image).toMatch(/image\/svg\+xml/);
			await img.arrayBuffer();
		}
	});

	it('filters by category and by search words', async () => {
		const drinks = (await (
			await fetch(`${app!.url}/api/products?category=drinks`)
		).json()) as ProductsResponse;
		expect(drinks.products.length).toBeGreaterThan(0);
		expect(drinks.products.every((p) => p.category === 'drinks')).toBe(true);
		expect(drinks.categories.map((c) => c.id)).toEqual(['drinks']);

		const spicy = (await (
			await fetch(`${app!.url}/api/products?q=${encodeURIComponent('Spicy chicken')}`)
		).json()) as ProductsResponse;
		expect(spicy.products.map((p) => p.id).sort()).toEqual(
			['chicken-wings', 'crispy-chicken-burger'].sort()
		);

		const none = (await (
			await fetch(`${app!.url}/api/products?q=zzqxv`)
		).json()) as ProductsResponse;
		expect(none).toEqual({ products: [], categories: [] });
	});

	it('answers bad query parameters with a 400 naming the parameter', async () => {
		const badCategory = await fetch(`${app!.url}/api/products?category=sushi`);
		expect(badCategory.status).toBe(400);
		const body = (await badCategory.json()) as { error: { code: string; field: string } };
		expect(body.error).toMatchObject({ code: 'invalid_query', field: 'category' });

		const longQuery = await fetch(`${app!.url}/api/products?q=${'a'.repeat(101)}`);
		expect(longQuery.status).toBe(400);
		expect(((await longQuery.json()) as { error: { field: string } }).error.field).toBe('q');
	});

	it('serves one product by id, and a JSON 404 for an unknown id', async () => {
		const ok = await fetch(`${app!.url}/api/products/cola`);
		expect(ok.status).toBe(200);
		expect(((await ok.json()) as { product: Product }).product).toMatchObject({
			id: 'cola',
			name: 'Cola'
		});
		const missing = await fetch(`${app!.url}/api/products/nope`);
		expect(missing.status).toBe(404);
		expect(await missing.json()).toEqual({
			error: { code: 'not_found', message: 'There is no product with this id', field: 'id' }
		});
	});

	it('tells clients where the sync-server is', async () => {
		const res = await fetch(`${app!.url}/api/config`);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ syncUrl: 'ws://127.0.0.1:4999' });
	});
});
