// The admin board's view of its orders: filters, columns by status, late orders, the partners'
// order and today's numbers. Pure (no Svelte, no I/O), so the board's logic is unit-tested and
// the server's first render (no JavaScript) filters exactly as the browser does.
import {
	isFinalStatus,
	NON_FINAL_STATUSES,
	type FeedEntry,
	type OrderStatus,
	type PartnerEntry
} from '$lib/order';
import { formatMoney } from '$lib/catalog/money';
import { orderRef } from '$lib/sync/messages';

/** The board's columns, in lifecycle order: every status of an order still under way. */
export const BOARD_STATUSES = NON_FINAL_STATUSES;
export type BoardStatus = (typeof BOARD_STATUSES)[number];

/** How the admin narrowed the board (URL parameters q, city, partner, age). */
export interface BoardFilter {
	/** Words to find in the order's reference, customer, city or partner (any case). */
	query: string;
	/** One city, exactly; '' for all. */
	city: string;
	/** A partner's id, UNASSIGNED for orders without one, '' for all. */
	partner: string;
	/** Only orders placed at least this many minutes ago (0: any). */
	minAgeMinutes: number;
}

export const UNASSIGNED = 'none';
/** @internal for tests: board.test.ts */
export const NO_FILTER: BoardFilter = { query: '', city: '', partner: '', minAgeMinutes: 0 };
/** The age choices the filter offers, in minutes. */
export const AGE_CHOICES = [0, 10, 20, 30, 60] as const;

const MAX_QUERY = 100;

/** The filter from a URL's parameters (anything unreadable is ignored). */
export function parseBoardFilter(params: URLSearchParams): BoardFilter {
	const age = Number(params.get('age') ?? 0);
	return {
		query: (params.get('q') ?? '').trim().slice(0, MAX_QUERY),
		city: (params.get('city') ?? '').trim().slice(0, MAX_QUERY),
		partner: /^[a-z0-9]{1,64}$/.test(params.get('partner') ?? '') ? params.get('partner')! : '',
		minAgeMinutes: (AGE_CHOICES as readonly number[]).includes(age) ? age : 0
	};
}

/** The URL parameters of a filter (only those set). */
export function boardFilterParams(filter: BoardFilter): URLSearchParams {
	const params = new URLSearchParams();
	if (filter.query) params.set('q', filter.query);
	if (filter.city) params.set('city', filter.city);
	if (filter.partner) params.set('partner', filter.partner);
	if (filter.minAgeMinutes) params.set('age', String(filter.minAgeMinutes));
	return params;
}

export function isFiltered(filter: BoardFilter): boolean {
	return Boolean(filter.query || filter.city || filter.partner || filter.minAgeMinutes);
}

/** Lower-case text an entry is searched by (kept per entry: entries are immutable). */
const searchText = new WeakMap<FeedEntry, string>();

function textOf(entry: FeedEntry): string {
	let text = searchText.get(entry);
	if (text === undefined) {
		text = [orderRef(entry.id), entry.id, entry.customerName, entry.city, entry.partnerName ?? '']
			.join(' ')
			.toLowerCase();
		searchText.set(entry, text);
	}
	return text;
}

function matchesFilter(entry: FeedEntry, filter: BoardFilter, now: number): boolean {
	if (filter.city && entry.city !== filter.city) return false;
	if (
		filter.partner === UNASSIGNED
			? entry.partnerId !== null
			: filter.partner && entry.partnerId !== filter.partner
	)
		return false;
	if (filter.minAgeMinutes && now - Date.parse(entry.createdAt) < filter.minAgeMinutes * 60_000)
		return false;
	if (filter.query) {
		const text = textOf(entry);
		for (const word of filter.query.toLowerCase().replace(/#/g, '').split(/\s+/)) {
			if (word && !text.includes(word)) return false;
		}
	}
	return true;
}

export interface BoardColumn {
	status: BoardStatus;
	/** The column's orders that match the filter, waiting longest first. */
	entries: FeedEntry[];
	/** All the column's orders, filter or not. */
	total: number;
	/** Pending orders that have waited longer than the alert time (0 in other columns). */
	late: number;
}

const created = new WeakMap<FeedEntry, number>();
const createdMs = (entry: FeedEntry) => {
	let ms = created.get(entry);
	if (ms === undefined) created.set(entry, (ms = Date.parse(entry.createdAt)));
	return ms;
};

/** Waiting longest first: the top of each column is what needs someone first. */
const oldestFirst = (a: FeedEntry, b: FeedEntry) =>
	createdMs(a) - createdMs(b) || (a.id < b.id ? -1 : 1);

/** A pending order placed more than `alertMinutes` ago. */
export function isLate(entry: FeedEntry, now: number, alertMinutes: number): boolean {
	return entry.status === 'pending' && now - createdMs(entry) >= alertMinutes * 60_000;
}

/** Every active order that matches `filter` in its status's column, waiting longest first. */
export function boardColumns(
	entries: readonly FeedEntry[],
	filter: BoardFilter = NO_FILTER,
	now: number = Date.now(),
	alertMinutes = Infinity
): BoardColumn[] {
	const columns = new Map<OrderStatus, BoardColumn>(
		BOARD_STATUSES.map((status) => [status, { status, entries: [], total: 0, late: 0 }])
	);
	const filtered = isFiltered(filter);
	for (const entry of entries) {
		const column = columns.get(entry.status);
		if (column === undefined) continue; // finished
		column.total++;
		if (!filtered || matchesFilter(entry, filter, now)) {
			column.entries.push(entry);
			if (isLate(entry, now, alertMinutes)) column.late++;
		}
	}
	for (const column of columns.values()) column.entries.sort(oldestFirst);
	return [...columns.values()];
}

/** The cities of the orders on the board, for the filter. */
export function boardCities(entries: readonly FeedEntry[]): string[] {
	const cities = new Set<string>();
	for (const entry of entries) if (entry.city) cities.add(entry.city);
	return [...cities].sort((a, b) => a.localeCompare(b));
}

export interface PartnerRow extends PartnerEntry {
	/** The partner's active orders on the board. */
	load: number;
}

/**
 * The partners as a dispatcher reads them: online and available first, then online but not
 * taking orders, then offline; within each, the least loaded first (then by name).
 */
export function partnersByReadiness(
	partners: readonly PartnerEntry[],
	entries: readonly FeedEntry[]
): PartnerRow[] {
	const load = new Map<string, number>();
	for (const entry of entries) {
		if (entry.partnerId && !isFinalStatus(entry.status))
			load.set(entry.partnerId, (load.get(entry.partnerId) ?? 0) + 1);
	}
	const rank = (p: PartnerEntry) => (p.online ? (p.available ? 0 : 1) : 2);
	return partners
		.map((partner) => ({ ...partner, load: load.get(partner.id) ?? 0 }))
		.sort(
			(a, b) =>
				rank(a) - rank(b) ||
				a.load - b.load ||
				a.name.localeCompare(b.name) ||
				(a.id < b.id ? -1 : 1)
		);
}

/**
 * The day's revenue for its tile: the shop's currency first, then any other currency orders were
 * delivered in (orders keep the currency they were placed in): "$39.50 + €12.50".
 */
export function revenueText(byCurrency: Record<string, number>, shop: string): string {
	return Object.entries({ [shop]: 0, ...byCurrency })
		.filter(([code, amount]) => code === shop || amount > 0)
		.sort(([a], [b]) => (a === shop ? -1 : b === shop ? 1 : a.localeCompare(b)))
		.map(([code, amount]) => formatMoney(amount, code))
		.join(' + ');
}

/** What the board's "Today" tiles show; null while not known yet. */
export interface BoardNumbers {
	placed: number | null;
	active: number;
	delivered: number | null;
	cancelled: number | null;
	/** By currency (ISO 4217 → minor units). */
	revenue: Record<string, number> | null;
	averageDeliveryMs: number | null;
	/** Active orders with at least one conflicting event. */
	conflicted: number;
}

/**
 * The board's live orders without those the order index already lists as finished. The two come
 * from different places (the admin feed, the index) and the feed may take a moment to hear of a
 * delivery or cancel (e.g. when a partner's offline steps arrive); a finished order never becomes
 * active again, so the index's word wins.
 */
export function withoutFinished(
	entries: readonly FeedEntry[],
	finished: ReadonlyArray<{ id: string; status: OrderStatus }>
): readonly FeedEntry[] {
	const done = new Set<string>();
	for (const order of finished) if (isFinalStatus(order.status)) done.add(order.id);
	if (done.size === 0) return entries;
	return entries.filter((entry) => !done.has(entry.id));
}

/** The active side of the numbers, from the board's live orders. */
export function activeCounts(entries: readonly FeedEntry[]): {
	active: number;
	conflicted: number;
} {
	let active = 0;
	let conflicted = 0;
	for (const entry of entries) {
		if (isFinalStatus(entry.status)) continue;
		active++;
		if (entry.conflicts > 0) conflicted++;
	}
	return { active, conflicted };
}

/** What the board's "Finished today" list shows. */
export interface FinishedScope {
	/** Start of "today" in the viewer's time zone (ISO). */
	from: string;
	city: string;
	/** A partner id, or '' for all. */
	partnerId: string;
}

/** GET /api/orders for today's finished orders, latest first (a page after `cursor`). */
export function finishedListPath(scope: FinishedScope, cursor?: string): string {
	const params = new URLSearchParams({
		status: 'delivered,cancelled',
		updatedFrom: scope.from,
		sort: 'updated',
		limit: '20'
	});
	if (scope.city) params.set('city', scope.city);
	if (scope.partnerId) params.set('partnerId', scope.partnerId);
	if (cursor) params.set('cursor', cursor);
	return `/api/orders?${params}`;
}

/** GET /api/orders/stats for the day that starts at `from`. */
export function dayStatsPath(from: string): string {
	return `/api/orders/stats?${new URLSearchParams({ from })}`;
}

/** A list with the next page added (an order that moved between pages is not shown twice). */
export function appendPage<T extends { id: string }>(list: readonly T[], page: readonly T[]): T[] {
	const seen = new Set(list.map((item) => item.id));
	return [...list, ...page.filter((item) => !seen.has(item.id))];
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
