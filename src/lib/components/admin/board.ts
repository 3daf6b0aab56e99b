// The admin board's view of feed entries: columns by status and today's counts. Pure, so the
// board's numbers are unit-tested rather than eyeballed.
import { isFinalStatus, type FeedEntry, type OrderStatus } from '$lib/order';

/** The board's columns, in lifecycle order. */
export const BOARD_STATUSES = ['pending', 'accepted', 'preparing', 'out_for_delivery'] as const;
export type BoardStatus = (typeof BOARD_STATUSES)[number];

export interface BoardColumn {
	status: BoardStatus;
	entries: FeedEntry[];
}

const newestFirst = (a: FeedEntry, b: FeedEntry) =>
	Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? -1 : 1);

/** Every active order in its status's column, newest first. */
export function boardColumns(entries: readonly FeedEntry[]): BoardColumn[] {
	return BOARD_STATUSES.map((status) => ({
		status,
		entries: entries.filter((entry) => entry.status === status).sort(newestFirst)
	}));
}

export interface TodayStats {
	/** Orders created today. */
	placed: number;
	/** Orders not final yet (whenever they were placed). */
	active: number;
	/** Orders delivered today. */
	delivered: number;
	/** Orders cancelled today. */
	cancelled: number;
	/** Sum of the totals of today's deliveries, in minor units. */
	revenue: number;
	/** Mean time from placing to delivery of today's deliveries; null before the first one. */
	averageDeliveryMs: number | null;
	/** Active orders with at least one conflicting event. */
	conflicted: number;
}

/**
 * Today's counts from the feed entries. A finished entry's `updatedAt` is the time of its last
 * event, i.e. when it was delivered or cancelled (feed/admin keeps today's finished orders).
 */
export function todayStats(entries: readonly FeedEntry[], startOfToday: number): TodayStats {
	const stats: TodayStats = {
		placed: 0,
		active: 0,
		delivered: 0,
		cancelled: 0,
		revenue: 0,
		averageDeliveryMs: null,
		conflicted: 0
	};
	let deliveryMsTotal = 0;
	for (const entry of entries) {
		const created = Date.parse(entry.createdAt);
		const finished = Date.parse(entry.updatedAt);
		if (created >= startOfToday) stats.placed++;
		if (!isFinalStatus(entry.status)) {
			stats.active++;
			if (entry.conflicts > 0) stats.conflicted++;
			continue;
		}
		if (!(finished >= startOfToday)) continue;
		if (entry.status === 'cancelled') stats.cancelled++;
		if (entry.status === 'delivered') {
			stats.delivered++;
			stats.revenue += entry.total;
			deliveryMsTotal += Math.max(0, finished - created);
		}
	}
	if (stats.delivered > 0) stats.averageDeliveryMs = deliveryMsTotal / stats.delivered;
	return stats;
}

/** "2× Margherita, 1× Cola +2 more" */
export function itemsSummary(items: FeedEntry['items'], shown = 3): string {
	const head = items.slice(0, shown).map((item) => `${item.quantity}× ${item.name}`);
	const rest = items.length - shown;
	return rest > 0 ? `${head.join(', ')} +${rest} more` : head.join(', ');
}

/** Badge colour of a status (app.css `.badge.<kind>`). */
export function statusTone(status: OrderStatus): '' | 'ok' | 'warn' | 'danger' | 'info' {
	switch (status) {
		case 'pending':
			return 'warn';
		case 'accepted':
		case 'preparing':
		case 'out_for_delivery':
			return 'info';
		case 'delivered':
			return 'ok';
		case 'cancelled':
			return 'danger';
	}
}
