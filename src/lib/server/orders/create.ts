// Order creation (POST /api/orders and the checkout page): validate, price from the catalog,
// write the `orders` index row, then the document's meta through the sync-server's service
// channel. The order exists once both are written; if the sync-server cannot take the meta, the
// row is removed again and the caller gets 503, so there is never a half-created order.
import { orderDocName, PAYMENT_LABELS, type OrderMeta } from '../../order/index.ts';
import { assertMayOrder } from '../auth/guards.ts';
import { getProductsByIds } from '../catalog.ts';
import { isDuplicateKeyError, type OrderIndexDoc, type OrderRequestDoc } from '../../shared/db.ts';
import { ApiError, validationError } from '../http.ts';
import { randomId } from '../../shared/ids.ts';
import { rememberCheckout } from './addresses.ts';
import { isSyncFailure, syncUnavailable } from './errors.ts';
import { mergeLines, priceOrder } from './pricing.ts';
import { createOrderSchema, idempotencyKeySchema, type CreateOrderData } from './schemas.ts';
import type { CreatedOrder, OrderActor, OrderServiceContext } from './types.ts';
import { sha256Hex } from '../../shared/sha256.ts';

export interface CreateOrderOptions {
	/** The `Idempotency-Key` header, if the client sent one (same meaning as `clientOrderId`). */
	idempotencyKey?: string | null;
	now?: Date;
}

/** The key a retried checkout sends again: the header, else the body's `clientOrderId`. */
function idempotencyKeyOf(data: CreateOrderData, header: string | null | undefined): string | null {
	if (header !== undefined && header !== null) {
		const parsed = idempotencyKeySchema.safeParse(header.trim());
		if (!parsed.success) {
			throw new ApiError(
				400,
				'invalid_input',
				'Idempotency-Key must be 8 to 64 letters, digits, dashes or underscores.',
				'Idempotency-Key'
			);
		}
		if (data.clientOrderId !== undefined && data.clientOrderId !== parsed.data) {
			throw new ApiError(
				400,
				'invalid_input',
				'Client order id must match the Idempotency-Key header.',
				'clientOrderId'
			);
		}
		return parsed.data;
	}
	return data.clientOrderId ?? null;
}

/** Same order, same hash: lines merged and sorted, text as validated (trimmed). */
function requestHash(data: CreateOrderData): string {
	const lines = mergeLines(data.items)
		.map(({ productId, quantity }) => [productId, quantity] as const)
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
	const { street, city, postcode, notes } = data.address;
	const canonical = JSON.stringify([
		lines,
		[street, city, postcode, notes ?? ''],
		data.phone,
		data.paymentMethod
	]);
	return sha256Hex(canonical);
}

/** @internal for tests and the board benchmark: tests/e2e/admin-board.test.ts, bench/board.ts */
export function indexRowFromMeta(meta: OrderMeta): OrderIndexDoc {
	const createdAt = new Date(meta.createdAt);
	return {
		_id: meta.orderId,
		customerId: meta.customerId,
		customerName: meta.customerName,
		partnerId: null,
		partnerName: null,
		status: 'pending',
		total: meta.total,
		...(meta.currency === undefined ? {} : { currency: meta.currency }),
		itemCount: meta.items.reduce((sum, item) => sum + item.quantity, 0),
		items: meta.items.map(({ name, quantity }) => ({ name, quantity })),
		city: meta.address.city,
		paymentMethod: meta.paymentMethod,
		createdAt,
		updatedAt: createdAt,
		claimedAt: null,
		deliveredAt: null,
		cancelledAt: null,
		rating: null,
		conflicts: 0
	};
}

/**
 * Places an order for a customer. `input` is untrusted (a JSON body or form data turned into an
 * object); it is validated here. Throws ApiError: 400 naming the field, 403 for non-customers or
 * unverified emails (when required), 409 `idempotency_conflict` when a key is reused for a
 * different order, 503 `sync_unavailable` when the sync-server cannot take the order.
 */
export async function createOrder(
	service: OrderServiceContext,
	user: OrderActor,
	input: unknown,
	options: CreateOrderOptions = {}
): Promise<CreatedOrder> {
	if (user.role !== 'customer') {
		throw new ApiError(403, 'forbidden', 'Only customer accounts can place orders.');
	}
	assertMayOrder(user, { requireEmailVerification: service.requireEmailVerification });
	const parsed = createOrderSchema.safeParse(input);
	if (!parsed.success) throw validationError(parsed.error);
	const data = parsed.data;
	if (!service.paymentMethods.includes(data.paymentMethod)) {
		throw new ApiError(
			400,
			'invalid_input',
			`Payment method must be one of: ${service.paymentMethods.join(', ')} (${service.paymentMethods
				.map((method) => midSentence(PAYMENT_LABELS[method]))
				.join(', ')}).`,
			'paymentMethod'
		);
	}
	const key = idempotencyKeyOf(data, options.idempotencyKey);

	const lines = mergeLines(data.items);
	const products = await getProductsByIds(
		service.collections,
		lines.map((line) => line.productId)
	);
	const priced = priceOrder(lines, products);
	const orderId = randomId();
	const now = options.now ?? new Date();
	const address = {
		street: data.address.street,
		city: data.address.city,
		postcode: data.address.postcode
	};
	const meta: OrderMeta = {
		orderId,
		items: priced.items,
		total: priced.subtotal + service.deliveryFee,
		currency: service.currency,
		address: data.address.notes ? { ...address, notes: data.address.notes } : address,
		phone: data.phone,
		paymentMethod: data.paymentMethod,
		customerId: user.id,
		customerName: user.name,
		createdAt: now.toISOString()
	};

	const { orderRequests } = service.collections;
	let request: OrderRequestDoc | null = null;
	if (key !== null) {
		request = {
			_id: `${user.id}:${key}`,
			customerId: user.id,
			orderId,
			requestHash: requestHash(data),
			state: 'creating',
			meta,
			createdAt: now
		};
		try {
			await orderRequests.insertOne(request);
		} catch (error) {
			if (!isDuplicateKeyError(error)) throw error;
			const earlier = await orderRequests.findOne({ _id: request._id });
			if (earlier === null) throw syncUnavailable(); // removed by a failing attempt just now
			return replay(service, earlier, request.requestHash);
		}
	}
	const created = await finishCreation(service, meta, request);
	// checkout offers this address (as the last used) and this phone next time
	try {
		await rememberCheckout(
			service.collections,
			user.id,
			{ address: meta.address, phone: meta.phone },
			now
		);
	} catch (error) {
		service.log.warn({ err: error, orderId }, 'could not remember the checkout address');
	}
	return created;
}

/** A retry with a key already used: the same order again, or 409 for a different body. */
async function replay(
	service: OrderServiceContext,
	earlier: OrderRequestDoc,
	hash: string
): Promise<CreatedOrder> {
	if (earlier.requestHash !== hash) {
		throw new ApiError(
			409,
			'idempotency_conflict',
			'This idempotency key was already used for a different order.',
			'Idempotency-Key'
		);
	}
	if (earlier.state === 'created' || earlier.meta === undefined) {
		return { id: earlier.orderId, docName: orderDocName(earlier.orderId), replayed: true };
	}
	// The first attempt is still running or died half-way: finish it with the same meta (the
	// service channel accepts the same meta twice).
	const created = await finishCreation(service, earlier.meta, earlier);
	return { ...created, replayed: true };
}

async function finishCreation(
	service: OrderServiceContext,
	meta: OrderMeta,
	request: OrderRequestDoc | null
): Promise<CreatedOrder> {
	const { orders, orderRequests } = service.collections;
	const orderId = meta.orderId;
	try {
		await orders.insertOne(indexRowFromMeta(meta));
	} catch (error) {
		if (!isDuplicateKeyError(error) || request === null) throw error; // a retry finds its row there
	}
	try {
		await service.sync.initOrder(orderId, meta);
	} catch (error) {
		await Promise.allSettled([
			orders.deleteOne({ _id: orderId, status: 'pending', partnerId: null }),
			request ? orderRequests.deleteOne({ _id: request._id, state: 'creating' }) : null
		]);
		service.log.error({ err: error, orderId }, 'order creation rolled back: sync-server refused');
		if (isSyncFailure(error)) throw syncUnavailable();
		throw error;
	}
	if (request) {
		await orderRequests.updateOne(
			{ _id: request._id },
			{ $set: { state: 'created' }, $unset: { meta: '' } }
		);
	}
	service.log.info({ orderId, customerId: meta.customerId, total: meta.total }, 'order placed');
	return { id: orderId, docName: orderDocName(orderId), replayed: false };
}

/** A label as it reads inside a sentence: "Cash on delivery" → "cash on delivery", "UPI" stays. */
function midSentence(label: string): string {
	return label.replace(/^\p{Lu}(?=\p{Ll})/u, (first) => first.toLowerCase());
}
