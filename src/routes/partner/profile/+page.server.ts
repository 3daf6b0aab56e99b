import type { PageServerLoad } from './$types';
import { orderServices, partnerProfile, toOrderSummary } from '$lib/server/orders';
import { signedInPartner } from '../staff.server';

const RECENT_RATINGS = 10;

/** The partner's stats and their latest ratings (with comments), from the index. */
export const load: PageServerLoad = async ({ locals }) => {
	const user = signedInPartner(locals);
	const services = orderServices();
	const [profile, rated] = await Promise.all([
		partnerProfile(services, user),
		services.collections.orders
			.find({ partnerId: user.id, 'rating.stars': { $gte: 1 } })
			.sort({ deliveredAt: -1, _id: -1 })
			.limit(RECENT_RATINGS)
			.toArray()
	]);
	return { profile, ratings: rated.map(toOrderSummary), partnerId: user.id };
};
