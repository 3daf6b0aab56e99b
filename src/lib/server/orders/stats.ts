// A partner's delivery stats from the `orders` index. Used by the web app (profile page and API)
// and by the sync-server (the admin board's partner list). Plain queries and a reduce in code, so it works on FerretDB 1.24 as on MongoDB.
import type { Collections } from '../db.ts';

export interface PartnerStats {
	deliveredCount: number;
	/** Mean stars of rated deliveries, rounded to 2 decimals; null before the first rating. */
	ratingAverage: number | null;
	ratingCount: number;
	/** Orders assigned to the partner that are not final yet. */
	activeCount: number;
}

export async function computePartnerStats(
	c: Collections,
	partnerId: string
): Promise<PartnerStats> {
	const [deliveredCount, activeCount, ratings] = await Promise.all([
		c.orders.countDocuments({ partnerId, status: 'delivered' }),
		c.orders.countDocuments({
			partnerId,
			status: { $in: ['accepted', 'preparing', 'out_for_delivery'] }
		}),
		// find + reduce: FerretDB 1.24's $group sums a dotted path ('$rating.stars') to 0
		c.orders
			.find({ partnerId, 'rating.stars': { $gte: 1 } }, { projection: { _id: 0, rating: 1 } })
			.toArray()
	]);
	const stars = ratings
		.map((row) => row.rating?.stars)
		.filter((n): n is number => typeof n === 'number' && n >= 1 && n <= 5);
	const ratingCount = stars.length;
	const ratingAverage =
		ratingCount > 0
			? Math.round((stars.reduce((sum, n) => sum + n, 0) / ratingCount) * 100) / 100
			: null;
	return { deliveredCount, ratingAverage, ratingCount, activeCount };
}
