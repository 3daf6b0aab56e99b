// The product catalog in MongoDB: reading it for the shop and the API, looking products up for
// order pricing, and seeding the demo menu.
import type { AnyBulkWriteOperation } from 'mongodb';
import { DEMO_MENU } from '../catalog/demo-menu.ts';
import { compareMenuOrder } from '../catalog/search.ts';
import {
	CATEGORIES,
	PRODUCT_TAGS,
	type Category,
	type Product,
	type ProductTag
} from '../catalog/types.ts';
import { bulkWriteInChunks, type Collections, type ProductDoc } from '../shared/db.ts';

function isTag(value: unknown): value is ProductTag {
	return (PRODUCT_TAGS as readonly unknown[]).includes(value);
}

function toProduct(doc: ProductDoc): Product {
	return {
		id: doc._id,
		name: doc.name,
		description: doc.description,
		category: doc.category,
		price: doc.price,
		image: doc.image,
		available: doc.available,
		tags: (doc.tags ?? []).filter(isTag)
	};
}

/** Every product in menu order (category order, then `sort`), sold-out ones included. */
export async function listProducts(c: Collections): Promise<Product[]> {
	const docs = await c.products.find({}).sort({ category: 1, sort: 1 }).toArray();
	return docs.sort(compareMenuOrder).map(toProduct);
}

/** The categories that have at least one product, in menu order. */
export function categoriesOf(products: readonly Product[]): Category[] {
	const present = new Set(products.map((p) => p.category));
	const known: Category[] = CATEGORIES.filter((c) => present.has(c.id)).map((c) => ({ ...c }));
	const unknown = [...present]
		.filter((id) => !CATEGORIES.some((c) => c.id === id))
		.sort()
		.map((id) => ({ id, name: id, blurb: '' }));
	return [...known, ...unknown];
}

/** The products with these ids, keyed by id; unknown ids are simply absent from the map. */
export async function getProductsByIds(
	c: Collections,
	ids: readonly string[]
): Promise<Map<string, Product>> {
	const unique = [...new Set(ids.filter((id) => typeof id === 'string'))];
	if (unique.length === 0) return new Map();
	const docs = await c.products.find({ _id: { $in: unique } }).toArray();
	return new Map(docs.map((doc) => [doc._id, toProduct(doc)]));
}

export async function getProduct(c: Collections, id: string): Promise<Product | null> {
	const doc = await c.products.findOne({ _id: id });
	return doc ? toProduct(doc) : null;
}

/**
 * Writes the demo menu: inserts missing products and brings existing demo products back to
 * their demo values. Running it again changes nothing; products that are not part of the demo
 * menu are left alone.
 */
export async function seedCatalog(c: Collections): Promise<{ inserted: number; updated: number }> {
	const operations: AnyBulkWriteOperation<ProductDoc>[] = DEMO_MENU.map((p) => ({
		updateOne: {
			filter: { _id: p.id },
			update: {
				$set: {
					name: p.name,
					description: p.description,
					category: p.category,
					price: p.price,
					image: p.image,
					available: p.available,
					tags: [...p.tags],
					sort: p.sort
				}
			},
			upsert: true
		}
	}));
	const result = await bulkWriteInChunks(c.products, operations);
	return { inserted: result.upsertedCount, updated: result.modifiedCount };
}
