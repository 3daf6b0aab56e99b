// A partner's delivery stats from the `orders` index. Used by the web app (profile page and API)
// and by the sync-server (the admin board's partner list). One plain query and a reduce in code:
// FerretDB 1.24's $group sums a dotted path like '$rating.stars' to 0, and it reads the whole
// collection for every query, so the fewer queries the better.
import { NON_FINAL_STATUSES } from '../order/status.ts';
import type { Collections } from './db.ts';

export interface PartnerStats {
	deliveredCount: number;
	/** Mean stars of rated deliveries, rounded to 2 decimals; null before the first rating. */
	ratingAverage: number | null;
	ratingCount: number;
	/** Orders assigned to the partner that are not final yet. */
	activeCount: number;
}

/** Assigned and not final yet. */
const ACTIVE: ReadonlySet<string> = new Set(NON_FINAL_STATUSES.filter((s) => s !== 'pending'));

type StatsRow = { partnerId?: string | null; status?: string; rating?: { stars?: unknown } | null };

function statsOf(rows: StatsRow[]): PartnerStats {
	let deliveredCount = 0;
	let activeCount = 0;
	const stars: number[] = [];
	for (const row of rows) {
		if (row.status === 'delivered') deliveredCount++;
		else if (row.status && ACTIVE.has(row.status)) activeCount++;
		const n = row.rating?.stars;
		if (typeof n === 'number' && n >= 1 && n <= 5) stars.push(n);
	}
	const ratingCount = stars.length;
	const ratingAverage =
		ratingCount > 0
			? Math.round((stars.reduce((sum, n) => sum + n, 0) / ratingCount) * 100) / 100
			: null;
	return { deliveredCount, ratingAverage, ratingCount, activeCount };
}

/**
 * Every partner's stats (or those of `partnerIds`) from one read of the assigned orders (the admin
 * board's refreshes): on FerretDB each query reads the whole collection, so a query per partner
 * does not scale. Partners without orders are absent from the map.
 */
export async function computeAllPartnerStats(
	c: Collections,
	partnerIds?: readonly string[]
): Promise<Map<string, PartnerStats>> {
	const filter =
		partnerIds === undefined
			? { partnerId: { $type: 'string' as const } }
			: { partnerId: { $in: [...partnerIds] } };
	const rows = await c.orders
		.find(filter, { projection: { _id: 0, partnerId: 1, status: 1, rating: 1 } })
		.toArray();
	const byPartner = new Map<string, StatsRow[]>();
	for (const row of rows as StatsRow[]) {
		if (typeof row.partnerId !== 'string') continue;
		byPartner.set(row.partnerId, [...(byPartner.get(row.partnerId) ?? []), row]);
	}
	return new Map([...byPartner].map(([id, partnerRows]) => [id, statsOf(partnerRows)]));
}

export const NO_STATS: PartnerStats = {
	deliveredCount: 0,
	ratingAverage: null,
	ratingCount: 0,
	activeCount: 0
};

export async function computePartnerStats(
	c: Collections,
	partnerId: string
): Promise<PartnerStats> {
	const rows = await c.orders
		.find({ partnerId }, { projection: { _id: 0, partnerId: 1, status: 1, rating: 1 } })
		.toArray();
	return statsOf(rows as StatsRow[]);
}
