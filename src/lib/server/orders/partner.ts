// The partner's own profile: availability toggle and delivery stats.
import type { UserDoc } from '../../shared/db.ts';
import { ApiError, validationError } from '../http.ts';
import { availabilitySchema } from './schemas.ts';
import { computePartnerStats } from '../../shared/partner-stats.ts';
import type { OrderActor, OrderServiceContext, PartnerProfileView } from './types.ts';

function requirePartner(user: OrderActor): void {
	if (user.role !== 'partner') {
		throw new ApiError(403, 'forbidden', 'This needs a partner account.');
	}
}

async function profileOf(
	service: OrderServiceContext,
	partner: UserDoc
): Promise<PartnerProfileView> {
	const stats = await computePartnerStats(service.collections, partner._id);
	return {
		id: partner._id,
		name: partner.name,
		vehicle: partner.partner?.vehicle ?? null,
		phone: partner.partner?.phone ?? null,
		available: partner.partner?.available ?? false,
		...stats
	};
}

async function loadPartner(service: OrderServiceContext, partnerId: string): Promise<UserDoc> {
	const partner = await service.collections.users.findOne({ _id: partnerId, role: 'partner' });
	if (!partner) throw new ApiError(404, 'not_found', 'There is no such partner.');
	return partner;
}

/** The signed-in partner's profile with stats (GET /api/partner/profile). */
export async function partnerProfile(
	service: OrderServiceContext,
	user: OrderActor
): Promise<PartnerProfileView> {
	requirePartner(user);
	return profileOf(service, await loadPartner(service, user.id));
}

/**
 * Turns the partner's availability on or off (`input` is `{available: boolean}`, untrusted) and
 * tells the sync-server so the admin board shows it at once. Returns the updated profile.
 */
export async function setAvailability(
	service: OrderServiceContext,
	user: OrderActor,
	input: unknown
): Promise<PartnerProfileView> {
	requirePartner(user);
	const parsed = availabilitySchema.safeParse(input);
	if (!parsed.success) throw validationError(parsed.error);
	const result = await service.collections.users.updateOne(
		{ _id: user.id, role: 'partner' },
		{ $set: { 'partner.available': parsed.data.available, updatedAt: new Date() } }
	);
	if (result.matchedCount === 0) throw new ApiError(404, 'not_found', 'There is no such partner.');
	try {
		await service.partners.partnerChanged(user.id);
	} catch (error) {
		// Not fatal: the sync-server re-reads partners on a timer.
		service.log.warn({ err: error, partnerId: user.id }, 'could not tell the sync-server');
	}
	return profileOf(service, await loadPartner(service, user.id));
}
