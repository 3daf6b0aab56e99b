// The order history list: orders from the live feed (`feed/customer/<id>`) merged with pages of
// the `orders` index (GET /api/orders). The feed is live, so its entry wins for an order in both.
import { isFinalStatus, type FeedEntry } from '$lib/order';
import type { OrderSummary } from '$lib/server/orders/types';

/** The fields of an index row (`OrderSummary` from the API) the list needs. */
export type IndexRow = Pick<
	OrderSummary,
	'id' | 'status' | 'total' | 'itemCount' | 'items' | 'createdAt' | 'partnerName'
> & {
	rating: { stars: number } | null;
	/** The order's currency (absent from rows cached before the API gave it). */
	currency?: string;
};

/** A row of the list: the rating is its stars, once rated. */
export type HistoryRow = Omit<IndexRow, 'rating'> & { rating: number | null };

function fromFeed(entry: FeedEntry): HistoryRow {
	return {
		id: entry.id,
		status: entry.status,
		total: entry.total,
		currency: entry.currency,
		itemCount: entry.itemCount,
		items: entry.items,
		createdAt: entry.createdAt,
		partnerName: entry.partnerName,
		rating: entry.rating
	};
}

function fromIndex(row: IndexRow): HistoryRow {
	return {
		id: row.id,
		status: row.status,
		total: row.total,
		currency: row.currency,
		itemCount: row.itemCount,
		items: row.items,
		createdAt: row.createdAt,
		partnerName: row.partnerName,
		rating: row.rating?.stars ?? null
	};
}

/** One row per order, newest first; a live feed entry replaces the index row of its order. */
export function mergeHistory(
	live: readonly FeedEntry[],
	indexed: readonly IndexRow[]
): HistoryRow[] {
	const rows = new Map<string, HistoryRow>();
	for (const row of indexed) rows.set(row.id, fromIndex(row));
	for (const entry of live) rows.set(entry.id, fromFeed(entry));
	return [...rows.values()].sort(
		(a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1)
	);
}

export function splitActive(rows: readonly HistoryRow[]): {
	active: HistoryRow[];
	past: HistoryRow[];
} {
	return {
		active: rows.filter((row) => !isFinalStatus(row.status)),
		past: rows.filter((row) => isFinalStatus(row.status))
	};
}

/** "2× Margherita, 1× Cola" (at most `max` lines, then "+ 2 more"). */
export function itemsLine(items: HistoryRow['items'], max = 3): string {
	const shown = items.slice(0, max).map((item) => `${item.quantity}× ${item.name}`);
	const rest = items.length - shown.length;
	return rest > 0 ? `${shown.join(', ')} + ${rest} more` : shown.join(', ');
}
