// Claims (docs/architecture.md, "Claims"): the first partner to claim a pending order gets it. The decision
// is one unique insert into `order_claims` keyed by the order id (atomic on MongoDB and on
// FerretDB, whose conditional updates are not); then the index row follows and the server writes
// the assignment and the `accepted` event into the document. If that write fails, the claim is
// undone and the partner gets 503, so nobody holds an order whose document does not say so.
import { ID_PATTERN, type Assignment, type OrderEvent } from '../../order/index.ts';
import { isDuplicateKeyError, type OrderClaimDoc } from '../../shared/db.ts';
import { ApiError } from '../http.ts';
import { randomId } from '../../shared/ids.ts';
import { SyncServiceError } from '../sync-client.ts';
import { isSyncFailure, notFound, syncUnavailable } from './errors.ts';
import { toOrderSummary } from './summary.ts';
import type { OrderActor, OrderServiceContext, OrderSummary } from './types.ts';

function alreadyTaken(): ApiError {
	return new ApiError(409, 'already_taken', 'Another partner has already taken this order.');
}

function notClaimable(status: string): ApiError {
	return new ApiError(
		409,
		'not_claimable',
		status === 'cancelled'
			? 'This order was cancelled.'
			: `This order can no longer be claimed (it is ${status.replaceAll('_', ' ')}).`
	);
}

/**
 * A partner claims an order. Returns the order (index row) on success; throws ApiError 403 for
 * non-partners, 409 `not_available` when the partner is off duty, 404 for an unknown order, 409
 * `already_taken` / `not_claimable`, 503 `sync_unavailable`. Claiming an order one already holds
 * again is answered like the first time (a retried request).
 */
export async function claimOrder(
	service: OrderServiceContext,
	user: OrderActor,
	orderId: string,
	now: Date = new Date()
): Promise<OrderSummary> {
	if (user.role !== 'partner') {
		throw new ApiError(403, 'forbidden', 'Only delivery partners can claim orders.');
	}
	if (!ID_PATTERN.test(orderId)) throw notFound();
	const { orders, orderClaims } = service.collections;
	const row = await orders.findOne({ _id: orderId });
	if (!row) throw notFound();
	if (row.partnerId !== null && row.partnerId !== user.id) throw alreadyTaken();
	// Already ours and moved on: a late retry of the claim changes nothing.
	if (row.partnerId === user.id && row.status !== 'accepted') return toOrderSummary(row);
	if (row.partnerId === null && row.status !== 'pending') throw notClaimable(row.status);
	if (!user.partner?.phone || !user.partner.vehicle) {
		throw new ApiError(
			409,
			'profile_incomplete',
			'Add your phone and vehicle on your account page before claiming orders.'
		);
	}
	if (!user.partner?.available) {
		throw new ApiError(
			409,
			'not_available',
			'You are set as unavailable. Turn on availability to claim orders.'
		);
	}

	const claim: OrderClaimDoc = {
		_id: orderId,
		kind: 'claim',
		userId: user.id,
		userName: user.name,
		at: now,
		eventId: randomId()
	};
	let decided = claim;
	try {
		await orderClaims.insertOne(claim);
	} catch (error) {
		if (!isDuplicateKeyError(error)) throw error;
		const existing = await orderClaims.findOne({ _id: orderId });
		if (existing === null) throw alreadyTaken(); // a claim being rolled back right now
		if (existing.kind === 'cancel') throw notClaimable('cancelled');
		if (existing.userId !== user.id) throw alreadyTaken();
		decided = existing; // our own earlier claim: write the same assignment and event again
	}
	const assignment: Assignment = {
		partnerId: user.id,
		partnerName: user.name,
		claimedAt: decided.at.toISOString()
	};
	const event: OrderEvent = {
		id: decided.eventId,
		type: 'accepted',
		by: user.id,
		role: 'partner',
		at: decided.at.toISOString()
	};
	const claimed = {
		partnerId: user.id,
		partnerName: user.name,
		claimedAt: decided.at,
		status: 'accepted' as const
	};
	await orders.updateOne({ _id: orderId }, { $set: { ...claimed, updatedAt: now } });
	try {
		await service.sync.assign(orderId, assignment, event);
	} catch (error) {
		await rollBack(service, orderId, user.id);
		// the document moved on first (another claim, or a customer's cancel made offline reached
		// it): a race the product expects, answered with 409, not a fault of the system
		const lostRace =
			error instanceof SyncServiceError &&
			(error.code === 'already_assigned' || error.code === 'not_admitted');
		const fields = { orderId, partnerId: user.id };
		if (lostRace) service.log.info({ ...fields, reason: error.message }, 'claim rolled back');
		else service.log.error({ ...fields, err: error }, 'claim rolled back');
		if (lostRace && error.code === 'already_assigned') throw alreadyTaken();
		if (lostRace) throw notClaimable(error.message.replace(/^the order is /, ''));
		if (isSyncFailure(error)) throw syncUnavailable();
		throw error;
	}
	// The sync-server updates the row from the document too; setting it again here closes the
	// window in which an older projection could have overwritten the claim.
	await orders.updateOne({ _id: orderId }, { $set: claimed });
	service.log.info({ orderId, partnerId: user.id }, 'order claimed');
	const updated = await orders.findOne({ _id: orderId });
	if (!updated) throw notFound();
	return toOrderSummary(updated);
}

/** Undo a claim: the decision first, so a projection running meanwhile cannot restore it. */
async function rollBack(service: OrderServiceContext, orderId: string, partnerId: string) {
	const { orders, orderClaims } = service.collections;
	await orderClaims.deleteOne({ _id: orderId, userId: partnerId, kind: 'claim' });
	await orders.updateOne(
		{ _id: orderId, partnerId },
		{ $set: { partnerId: null, partnerName: null, claimedAt: null, status: 'pending' } }
	);
}
