import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { entryFromSummary } from '$lib/components/admin/entries';
import { ctx } from '$lib/server/context';
import { claimOrder, orderServices, setAvailability, toOrderSummary } from '$lib/server/orders';
import { formText } from '$lib/server/validation/form';
import { serviceFailure, signedInPartner } from './staff.server';

/** How many open orders the first render shows; the live feed carries all of them. */
const FIRST_RENDER_LIMIT = 100;

/**
 * The open orders from the index, for the first render and for browsers without JavaScript;
 * the page then follows `feed/open` live. Like the feed, no address or phone before a claim.
 */
export const load: PageServerLoad = async ({ locals }) => {
	const user = signedInPartner(locals);
	const rows = await ctx()
		.database.collections.orders.find({ status: 'pending', partnerId: null })
		.sort({ createdAt: -1, _id: -1 })
		.limit(FIRST_RENDER_LIMIT)
		.toArray();
	return {
		openOrders: rows.map((row) => entryFromSummary(toOrderSummary(row))),
		available: user.partner?.available ?? false
	};
};

const TAKEN = 'Taken by someone else: another partner claimed this order first.';

export const actions: Actions = {
	claim: async ({ request, locals }) => {
		const user = signedInPartner(locals);
		const { orderId } = formText(await request.formData(), ['orderId']);
		try {
			await claimOrder(orderServices(), user, orderId);
		} catch (err) {
			const failure = serviceFailure(err, 'claim' as const, { orderId });
			if (failure.data.code === 'already_taken') failure.data.message = TAKEN;
			if (failure.data.code === 'not_found') failure.data.message = 'This order no longer exists.';
			return failure;
		}
		redirect(303, `/partner/orders/${orderId}`);
	},

	availability: async ({ request, locals }) => {
		const user = signedInPartner(locals);
		const { available } = formText(await request.formData(), ['available']);
		// setAvailability validates: anything but a boolean is a 400 naming the field.
		const value = available === 'true' ? true : available === 'false' ? false : available;
		try {
			const profile = await setAvailability(orderServices(), user, { available: value });
			return { action: 'availability' as const, available: profile.available };
		} catch (err) {
			return serviceFailure(err, 'availability' as const, {});
		}
	}
};
