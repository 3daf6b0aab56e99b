import type { PageServerLoad } from './$types';
import {
	BOARD_STATUSES,
	boardCities,
	boardColumns,
	parseBoardFilter,
	type BoardStatus
} from '$lib/components/admin/board';
import { ctx } from '$lib/server/context';
import { orderServices } from '$lib/server/orders';
import { signedInAdmin } from './staff.server';

/** Cards per column in the first render; the page shows more as the admin scrolls. */
const FIRST_RENDER_PER_COLUMN = 25;
/**
 * The board's first render (so it shows real orders at once, and works without JavaScript,
 * filters included): the active orders and partners as feed/admin holds them, read from the
 * sync-server's memory (GET /internal/feeds/admin; the index would be a scan of every order
 * ever placed on FerretDB), the first cards of each column with each column's count. Today's
 * finished orders and numbers depend on the viewer's "today" (their time zone): the browser asks
 * the API for them (finished.svelte.ts).
 */
export const load: PageServerLoad = async ({ locals, url }) => {
	signedInAdmin(locals);
	const { config, log } = ctx();
	const filter = parseBoardFilter(url.searchParams);
	const col = url.searchParams.get('col');
	const column = (BOARD_STATUSES as readonly string[]).includes(col ?? '')
		? (col as BoardStatus)
		: 'pending';
	const now = Date.now();
	const board = await orderServices()
		.sync.readBoard()
		.catch((error: unknown) => {
			log.warn({ err: error }, 'the board could not be read from the sync-server');
			return null;
		});
	const entries = board?.entries ?? [];
	const columns = boardColumns(entries, filter, now, config.boardPendingAlertMinutes);
	const counts = {} as Record<BoardStatus, { shown: number; total: number; late: number }>;
	for (const column of columns) {
		counts[column.status] = {
			shown: column.entries.length,
			total: column.total,
			late: column.late
		};
	}
	return {
		/** The first cards of each column (the filter applied), waiting longest first. */
		orders: columns.flatMap((column) => column.entries.slice(0, FIRST_RENDER_PER_COLUMN)),
		counts,
		/** The sync-server could not be asked: the page waits for the live board. */
		boardMissing: board === null,
		cities: boardCities(entries),
		partners: (board?.partners ?? [])
			.map((p) => ({ id: p.id, name: p.name }))
			.sort((a, b) => a.name.localeCompare(b.name)),
		filter,
		/** The column phones show (the others are a tab away). */
		column,
		pendingAlertMinutes: config.boardPendingAlertMinutes
	};
};
