import type { RequestHandler } from './$types';
import { requireUser } from '$lib/server/auth/guards';
import { apiJson, readJsonBody } from '$lib/server/http';
import {
	createOrder,
	listOrders,
	listQueryFromSearchParams,
	orderServices
} from '$lib/server/orders';
import { z } from 'zod';

/**
 * POST {items:[{productId, quantity}], address:{street, city, postcode, notes?}, phone,
 * paymentMethod, clientOrderId?} (+ optional Idempotency-Key header) → 201 {id, docName}.
 * A retry with the same key answers 201 with the same order (header Idempotent-Replayed: true).
 */
export const POST: RequestHandler = async ({ request, locals }) => {
	const user = requireUser(locals);
	// The body is validated field by field by the service; here it only has to be a JSON object.
	const body = await readJsonBody(request, z.record(z.string(), z.unknown()));
	const created = await createOrder(orderServices(), user, body, {
		idempotencyKey: request.headers.get('idempotency-key')
	});
	return apiJson(
		{ id: created.id, docName: created.docName },
		{ status: 201, headers: created.replayed ? { 'idempotent-replayed': 'true' } : {} }
	);
};

/**
 * GET ?status=a,b&partnerId&customerId&from&to&limit&cursor → {orders, nextCursor}, newest first.
 * Customers see their own orders, partners those assigned to them, admins all.
 */
export const GET: RequestHandler = async ({ url, locals }) => {
	const user = requireUser(locals);
	const page = await listOrders(orderServices(), user, listQueryFromSearchParams(url.searchParams));
	return apiJson(page);
};
