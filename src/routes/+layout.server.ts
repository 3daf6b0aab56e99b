import type { LayoutServerLoad } from './$types';

/** The signed-in user (or null) for the header's role-dependent navigation. */
export const load: LayoutServerLoad = ({ locals }) => {
	return { user: locals.user };
};
