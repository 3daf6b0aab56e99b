// The board's finished orders of today and today's numbers, from the JSON API: `feed/admin` holds
// active orders only, so what finished is paged from the index (GET /api/orders, latest activity
// first) and counted there (GET /api/orders/stats), for "today" in the viewer's time zone. Asked
// for once the page is mounted; again when the board's orders change (an order finished, or a
// new one came in), when the day turns, and every minute. Refreshes are spaced by at least three
// times as long as the last one took: a busy index (a scan of every order on FerretDB) is asked
// a third of the time at most, a fast one every two seconds.
import type { OrderSummary } from '$lib/server/orders/types';
import type { OrderDayStats } from '$lib/server/orders/day-stats';
import { appendPage, dayStatsPath, finishedListPath } from './board';

/** Wait at least this long between two refreshes… */
const REFRESH_GAP_MS = 2_000;
/** …and at least this many times as long as the last one took. */
const REFRESH_GAP_FACTOR = 3;
/**
 * And this long after the change that asks for one: longer than the server reuses its count
 * (day-stats.ts), so the answer knows the change.
 */
const AFTER_CHANGE_MS = 1_200;
/** Refresh this often anyway (conflicts and ratings on finished orders change the index only). */
const PERIODIC_MS = 60_000;

export type { FinishedScope } from './board';
import type { FinishedScope } from './board';

async function getJson<T>(path: string): Promise<T> {
	const response = await fetch(path, { headers: { accept: 'application/json' } });
	const body = (await response.json().catch(() => null)) as
		(T & { error?: { message?: string } }) | null;
	if (!response.ok || body === null) {
		throw new Error(body?.error?.message ?? `The server answered ${response.status}.`);
	}
	return body;
}

export class FinishedToday {
	orders: OrderSummary[] = $state.raw([]);
	nextCursor: string | null = $state(null);
	stats: OrderDayStats | null = $state.raw(null);
	loadingMore = $state(false);
	error: string | null = $state(null);
	/** What `orders` and `stats` are about. */
	private scope: FinishedScope;
	private timer: ReturnType<typeof setTimeout> | null = null;
	private periodic: ReturnType<typeof setInterval> | null = null;
	private lastRefresh = 0;
	/** How long the last refresh took (ms). */
	private lastDuration = 0;
	/** Bumped per refresh: an older answer arriving late is dropped. */
	private generation = 0;

	/** Nothing is shown yet (the first render sent nothing, and no answer came yet). */
	loading = $state(false);

	/** Nothing is shown until `show` (once the page is mounted) asks for `scope`. */
	constructor() {
		this.scope = { from: '', city: '', partnerId: '' };
		this.loading = true;
	}

	private listPath(cursor?: string): string {
		return finishedListPath(this.scope, cursor);
	}

	/** Shows `scope` (at once if it differs from what is shown). */
	show(scope: FinishedScope): void {
		const same =
			scope.from === this.scope.from &&
			scope.city === this.scope.city &&
			scope.partnerId === this.scope.partnerId;
		if (same) return;
		this.scope = { ...scope };
		this.refreshNow();
	}

	/** Something on the board changed: refresh soon (never more than every REFRESH_GAP_MS). */
	changed(): void {
		if (this.timer !== null) return;
		const gap = Math.max(REFRESH_GAP_MS, REFRESH_GAP_FACTOR * this.lastDuration);
		const wait = Math.max(AFTER_CHANGE_MS, this.lastRefresh + gap - Date.now());
		this.timer = setTimeout(() => {
			this.timer = null;
			this.refreshNow();
		}, wait);
	}

	/** Refreshes every PERIODIC_MS from now on (the page calls it once mounted). */
	start(): void {
		if (this.periodic !== null) return;
		this.periodic = setInterval(() => this.changed(), PERIODIC_MS);
	}

	refreshNow(): void {
		if (this.timer !== null) clearTimeout(this.timer);
		this.timer = null;
		const started = Date.now();
		this.lastRefresh = started;
		const generation = ++this.generation;
		const statsPath = dayStatsPath(this.scope.from);
		void Promise.all([
			getJson<{ orders: OrderSummary[]; nextCursor: string | null }>(this.listPath()),
			getJson<{ stats: OrderDayStats }>(statsPath)
		]).then(
			([page, { stats }]) => {
				this.lastDuration = Date.now() - started;
				if (generation !== this.generation) return;
				this.orders = page.orders;
				this.nextCursor = page.nextCursor;
				this.stats = stats;
				this.error = null;
				this.loading = false;
			},
			(error: unknown) => {
				if (generation !== this.generation) return;
				// offline, or the server is busy: keep what is shown, say so
				this.error =
					error instanceof TypeError
						? 'Finished orders could not be updated: no connection.'
						: error instanceof Error
							? error.message
							: 'Finished orders could not be updated.';
			}
		);
	}

	async more(): Promise<void> {
		const cursor = this.nextCursor;
		if (cursor === null || this.loadingMore) return;
		this.loadingMore = true;
		const generation = this.generation;
		try {
			const page = await getJson<{ orders: OrderSummary[]; nextCursor: string | null }>(
				this.listPath(cursor)
			);
			if (generation !== this.generation) return;
			this.orders = appendPage(this.orders, page.orders);
			this.nextCursor = page.nextCursor;
			this.error = null;
		} catch (error) {
			this.error = error instanceof Error ? error.message : 'More orders could not be loaded.';
		} finally {
			this.loadingMore = false;
		}
	}

	stop(): void {
		if (this.timer !== null) clearTimeout(this.timer);
		if (this.periodic !== null) clearInterval(this.periodic);
		this.timer = null;
		this.periodic = null;
		this.generation++;
	}
}
