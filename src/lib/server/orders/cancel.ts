// Cancellation through the API (the transition table): the customer who placed the order while it
// is pending and unassigned; an admin while it is not final. The `cancelled` event is written by
// the server through the service channel, in the actor's name and role.
import { ID_PATTERN, type OrderEvent } from '../../order/index.ts';
import { isFinalStatus } from '../../order/status.ts';
import { isDuplicateKeyError, type OrderClaimDoc, type OrderIndexDoc } from '../../shared/db.ts';
import { ApiError, validationError } from '../http.ts';
import { randomId } from '../../shared/ids.ts';
import { SyncServiceError } from '../sync-client.ts';
import { isSyncFailure, notFound, syncUnavailable } from './errors.ts';
import { maySeeOrder } from './list.ts';
import { cancelOrderSchema } from './schemas.ts';
import { toOrderSummary } from './summary.ts';
import type { OrderActor, OrderServiceContext, OrderSummary } from './types.ts';

function notCancellable(row: Pick<OrderIndexDoc, 'status'>, byCustomer: boolean): ApiError {
	if (isFinalStatus(row.status)) {
		return new ApiError(409, 'not_cancellable', `This order is already ${row.status}.`);
	}
	return new ApiError(
		409,
		'not_cancellable',
		byCustomer
			? 'A partner has already accepted this order, so it can no longer be cancelled here. Please contact support.'
			: `This order can no longer be cancelled (it is ${row.status.replaceAll('_', ' ')}).`
	);
}

/**
 * The document had moved on before the index showed it (e.g. a partner's delivery or a claim
 * reached it first): the sync-server did not admit the cancel, and says why.
 */
function notCancellableNow(error: SyncServiceError): ApiError {
	const reason = error.message.charAt(0).toUpperCase() + error.message.slice(1);
	return new ApiError(409, 'not_cancellable', `${reason}, so it can no longer be cancelled.`);
}

function isNotAdmitted(error: unknown): error is SyncServiceError {
	return error instanceof SyncServiceError && error.code === 'not_admitted';
}

/**
 * Cancels an order. `input` is the optional body `{reason?}` (untrusted). Throws ApiError 404
 * for an unknown order and for one the user may not see (the same answer), 403 for anyone else
 * who may see it but not cancel it (a partner), 409 `not_cancellable` when the order has
 * moved on, 503 `sync_unavailable` (nothing changed).
 */
export async function cancelOrder(
	service: OrderServiceContext,
	user: OrderActor,
	orderId: string,
	input: unknown = {},
	now: Date = new Date()
): Promise<OrderSummary> {
	if (!ID_PATTERN.test(orderId)) throw notFound();
	const parsed = cancelOrderSchema.safeParse(input ?? {});
	if (!parsed.success) throw validationError(parsed.error);
	const reason = parsed.data.reason || undefined;
	const { orders } = service.collections;
	const row = await orders.findOne({ _id: orderId });
	// someone else's order is answered like an unknown one (no probing of ids)
	if (!row || !maySeeOrder(user, row)) throw notFound();

	if (user.role === 'customer' && row.customerId === user.id) {
		await cancelAsCustomer(service, user, row, reason, now);
	} else if (user.role === 'admin') {
		await cancelAsAdmin(service, user, row, reason, now);
	} else {
		throw new ApiError(
			403,
			'forbidden',
			'Only the customer who placed this order or an admin can cancel it.'
		);
	}
	service.log.info({ orderId, by: user.id, role: user.role }, 'order cancelled');
	const updated = await orders.findOne({ _id: orderId });
	if (!updated) throw notFound();
	return toOrderSummary(updated);
}

function cancelEvent(user: OrderActor, eventId: string, at: Date, reason?: string): OrderEvent {
	const event: OrderEvent = {
		id: eventId,
		type: 'cancelled',
		by: user.id,
		role: user.role,
		at: at.toISOString()
	};
	if (reason) event.note = reason;
	return event;
}

/** The customer's cancel races partners' claims: the same unique insert decides. */
async function cancelAsCustomer(
	service: OrderServiceContext,
	user: OrderActor,
	row: OrderIndexDoc,
	reason: string | undefined,
	now: Date
): Promise<void> {
	const { orders, orderClaims } = service.collections;
	if (row.status === 'cancelled') return; // a retry: already done
	if (row.status !== 'pending' || row.partnerId !== null) throw notCancellable(row, true);
	let decision: OrderClaimDoc = {
		_id: row._id,
		kind: 'cancel',
		userId: user.id,
		userName: user.name,
		at: now,
		eventId: randomId()
	};
	try {
		await orderClaims.insertOne(decision);
	} catch (error) {
		if (!isDuplicateKeyError(error)) throw error;
		const existing = await orderClaims.findOne({ _id: row._id });
		if (existing?.kind !== 'cancel' || existing.userId !== user.id) {
			throw notCancellable({ status: 'accepted' }, true);
		}
		decision = existing;
	}
	await orders.updateOne(
		{ _id: row._id },
		{ $set: { status: 'cancelled', cancelledAt: decision.at, updatedAt: now } }
	);
	try {
		await service.sync.appendServerEvent(
			row._id,
			cancelEvent(user, decision.eventId, decision.at, reason)
		);
	} catch (error) {
		await orderClaims.deleteOne({ _id: row._id, kind: 'cancel', userId: user.id });
		await orders.updateOne(
			{ _id: row._id, status: 'cancelled' },
			{ $set: { status: 'pending', cancelledAt: null } }
		);
		service.log.error({ err: error, orderId: row._id }, 'cancellation rolled back');
		if (isNotAdmitted(error)) throw notCancellableNow(error);
		if (isSyncFailure(error)) throw syncUnavailable();
		throw error;
	}
}

/**
 * An admin may cancel any non-final order. A pending, unassigned one is also closed to claims
 * (the unique insert); if a partner won that race a moment ago, the admin's cancel still stands.
 */
async function cancelAsAdmin(
	service: OrderServiceContext,
	user: OrderActor,
	row: OrderIndexDoc,
	reason: string | undefined,
	now: Date
): Promise<void> {
	const { orders, orderClaims } = service.collections;
	if (isFinalStatus(row.status)) throw notCancellable(row, false);
	const eventId = randomId();
	let locked = false;
	if (row.partnerId === null) {
		try {
			await orderClaims.insertOne({
				_id: row._id,
				kind: 'cancel',
				userId: user.id,
				userName: user.name,
				at: now,
				eventId
			});
			locked = true;
		} catch (error) {
			if (!isDuplicateKeyError(error)) throw error;
		}
	}
	let status;
	try {
		const result = await service.sync.appendServerEvent(
			row._id,
			cancelEvent(user, eventId, now, reason)
		);
		status = result.status;
	} catch (error) {
		if (locked) await orderClaims.deleteOne({ _id: row._id, kind: 'cancel', eventId });
		service.log.error({ err: error, orderId: row._id }, 'admin cancellation failed');
		if (isNotAdmitted(error)) throw notCancellableNow(error);
		if (isSyncFailure(error)) throw syncUnavailable();
		throw error;
	}
	if (status !== 'cancelled') throw notCancellable({ status: status ?? row.status }, false);
	await orders.updateOne(
		{ _id: row._id },
		{ $set: { status: 'cancelled', cancelledAt: now, updatedAt: now } }
	);
}
