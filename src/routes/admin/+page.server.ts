import type { PageServerLoad } from './$types';
import { entryFromSummary } from '$lib/components/admin/entries';
import { NON_FINAL_STATUSES } from '$lib/order';
import { ctx } from '$lib/server/context';
import { toOrderSummary } from '$lib/server/orders';
import { signedInAdmin } from './staff.server';

const DAY_MS = 24 * 60 * 60 * 1000;
const FIRST_RENDER_LIMIT = 500;

/**
 * The board's first render from the index: every active order and everything that changed in
 * the last day (the browser decides what "today" is in its own time zone). Then `feed/admin`.
 */
export const load: PageServerLoad = async ({ locals }) => {
	signedInAdmin(locals);
	const since = new Date(Date.now() - DAY_MS);
	const rows = await ctx()
		.database.collections.orders.find({
			$or: [{ status: { $in: [...NON_FINAL_STATUSES] } }, { updatedAt: { $gte: since } }]
		})
		.sort({ createdAt: -1, _id: -1 })
		.limit(FIRST_RENDER_LIMIT)
		.toArray();
	return { orders: rows.map((row) => entryFromSummary(toOrderSummary(row))) };
};
