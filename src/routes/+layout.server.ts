import type { LayoutServerLoad } from './$types';
import { ctx } from '$lib/server/context';

/**
 * The signed-in user (or null) for the header's role-dependent navigation, and the shop's
 * currency (CURRENCY) for every price on every page.
 */
export const load: LayoutServerLoad = ({ locals }) => {
	return { user: locals.user, currency: ctx().config.currency };
};
