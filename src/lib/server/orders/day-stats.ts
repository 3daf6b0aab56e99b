// The admin board's numbers for a span of time (its "today", in the viewer's time zone): orders
// placed, delivered and cancelled in it, the revenue of those delivered and their mean time from
// placing to delivery. Finished orders are not on `feed/admin` (it holds active orders only), so
// these come from the `orders` index: one read of the rows active since `from` (every order placed
// or finished since then was last active since then), a reduce in code, and a short cache, so a
// board that refreshes whenever orders finish, or several boards, cost one read every few seconds.
import { shopCurrency } from '../../catalog/money.ts';
import { ApiError, validationError } from '../http.ts';
import type { OrderIndexDoc } from '../../shared/db.ts';
import { ORDER_STATS_QUERY_KEYS, orderStatsQuerySchema } from './schemas.ts';
import type { OrderActor, OrderServiceContext } from './types.ts';

export interface OrderDayStats {
	from: string;
	to: string | null;
	/** Orders placed in the span. */
	placed: number;
	/** Orders delivered in the span. */
	delivered: number;
	/** Orders cancelled in the span. */
	cancelled: number;
	/** Sum of the totals of the orders delivered in the span in the shop's currency (minor units). */
	revenue: number;
	/**
	 * The same for every currency orders were delivered in (ISO 4217 → minor units), the shop's
	 * always among them: orders keep the currency they were placed in.
	 */
	revenueByCurrency: Record<string, number>;
	/** Mean time from placing to delivery of those, ms; null before the first. */
	averageDeliveryMs: number | null;
}

/**
 * How long an answer is reused for the same span. A board asks again at least 1.2 s after it saw
 * a change (finished.svelte.ts), and the index is written before the feed shows the change, so a
 * reused answer is never older than a change the asking board has seen.
 */
const CACHE_MS = 1_000;
const cache = new Map<string, { at: number; stats: Promise<OrderDayStats> }>();

type Row = Pick<
	OrderIndexDoc,
	'status' | 'total' | 'currency' | 'createdAt' | 'deliveredAt' | 'cancelledAt'
>;

function within(at: Date | null | undefined, from: number, to: number): boolean {
	if (!(at instanceof Date)) return false;
	const ms = at.getTime();
	return ms >= from && ms < to;
}

/**
 * Reduces the index rows active since `from` to the span's numbers.
 * @internal for tests: day-stats.test.ts
 */
export function dayStatsOf(
	rows: readonly Row[],
	from: Date,
	to: Date | null,
	currency = shopCurrency()
): OrderDayStats {
	const start = from.getTime();
	const end = to?.getTime() ?? Infinity;
	const stats: OrderDayStats = {
		from: from.toISOString(),
		to: to?.toISOString() ?? null,
		placed: 0,
		delivered: 0,
		cancelled: 0,
		revenue: 0,
		revenueByCurrency: { [currency]: 0 },
		averageDeliveryMs: null
	};
	let deliveryMs = 0;
	for (const row of rows) {
		if (within(row.createdAt, start, end)) stats.placed++;
		if (row.status === 'delivered' && within(row.deliveredAt, start, end)) {
			stats.delivered++;
			const rowCurrency = row.currency ?? currency;
			stats.revenueByCurrency[rowCurrency] =
				(stats.revenueByCurrency[rowCurrency] ?? 0) + row.total;
			deliveryMs += Math.max(0, row.deliveredAt!.getTime() - row.createdAt.getTime());
		}
		if (row.status === 'cancelled' && within(row.cancelledAt, start, end)) stats.cancelled++;
	}
	stats.revenue = stats.revenueByCurrency[currency]!;
	if (stats.delivered > 0) stats.averageDeliveryMs = Math.round(deliveryMs / stats.delivered);
	return stats;
}

/** GET /api/orders/stats?from&to (admins only); `query` as listOrders takes it. */
export async function orderDayStats(
	service: OrderServiceContext,
	user: OrderActor,
	query: Record<string, unknown>
): Promise<OrderDayStats> {
	if (user.role !== 'admin') throw new ApiError(403, 'forbidden', 'Only admins can see this.');
	const unknown = Object.keys(query).find(
		(key) => !(ORDER_STATS_QUERY_KEYS as readonly string[]).includes(key)
	);
	if (unknown !== undefined) {
		throw new ApiError(
			400,
			'invalid_input',
			`Unknown parameter ${unknown}; use ${ORDER_STATS_QUERY_KEYS.join(', ')}.`,
			unknown
		);
	}
	const parsed = orderStatsQuerySchema.safeParse(query);
	if (!parsed.success) throw validationError(parsed.error);
	const { from, to } = parsed.data;
	const key = `${from.getTime()}|${to?.getTime() ?? ''}`;
	const now = Date.now();
	for (const [k, entry] of cache) if (now - entry.at >= CACHE_MS) cache.delete(k);
	let entry = cache.get(key);
	if (entry === undefined) {
		const stats = service.collections.orders
			.find(
				{ updatedAt: { $gte: from } },
				{
					projection: {
						status: 1,
						total: 1,
						currency: 1,
						createdAt: 1,
						deliveredAt: 1,
						cancelledAt: 1
					}
				}
			)
			.toArray()
			.then((rows) => dayStatsOf(rows as Row[], from, to ?? null));
		entry = { at: now, stats };
		cache.set(key, entry);
		stats.catch(() => cache.delete(key));
	}
	return entry.stats;
}
