// The service channel: server-authored writes into order documents (order creation, claims, API
// cancellations) from the web app, authenticated with the shared SYNC_SECRET. Applied under the
// server's own Yjs client id, stored and broadcast like any update; answered once durable. Events
// written here pass the same admission as a client's (admission.ts), against the document as this
// process holds it: a claim only while the order is pending, a cancel only while it may be.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
	admitEvent,
	appendEvent,
	factsOf,
	assignmentSchema,
	eventsArray,
	metaMap,
	orderDocName,
	orderEventSchema,
	orderMetaSchema,
	parseOrderMeta,
	readMeta,
	readOrder,
	writeAssignment,
	writeMeta,
	type OrderStatus
} from '../../src/lib/order/index.ts';
import type { Logger } from '../../src/lib/shared/log.ts';
import type { SyncExtension } from '../core/extension.ts';
import type { SyncServer } from '../core/server.ts';
import { HttpError, matchPath, readJsonBody, sendError, sendJson } from './http-json.ts';
import type { DispatchPrincipal } from './principal.ts';
import { authorizeInternalRequest } from './service-auth.ts';
import type { WritePolicy } from './write-policy.ts';

/** Transaction origin of server-authored writes. */
const SERVICE_ORIGIN = Symbol('service');

const serviceOpSchema = z.discriminatedUnion('op', [
	z.strictObject({ op: z.literal('init'), meta: orderMetaSchema }),
	z.strictObject({
		op: z.literal('assign'),
		assignment: assignmentSchema,
		event: orderEventSchema
	}),
	z.strictObject({ op: z.literal('event'), event: orderEventSchema })
]);
type ServiceOp = z.infer<typeof serviceOpSchema>;

interface ServiceResult {
	/** False when the document already held exactly this (a retried request). */
	applied: boolean;
	status: OrderStatus | null;
}

const MAX_BODY_BYTES = 64 * 1024;
const SERVICE_PATH = /^\/internal\/orders\/([^/]+)\/ops$/;

function hasEvent(doc: import('yjs').Doc, id: string): boolean {
	return eventsArray(doc)
		.toArray()
		.some((value) => (value as { id?: unknown } | null)?.id === id);
}

export function serviceChannel(options: {
	server: SyncServer<DispatchPrincipal>;
	writePolicy: WritePolicy;
	secret: string;
	log: Logger;
	/** Asks persistence not to wait for its batching window: someone is waiting for this write. */
	flushSoon: () => void;
}): SyncExtension<DispatchPrincipal> {
	async function apply(orderId: string, op: ServiceOp): Promise<ServiceResult> {
		return options.server.withDocument(orderDocName(orderId), async (document) => {
			const { doc } = document;
			options.writePolicy.claimServerClientId(document);
			let applied = false;
			switch (op.op) {
				case 'init': {
					if (op.meta.orderId !== orderId) {
						throw new HttpError(400, 'invalid', 'meta.orderId must match the URL', 'meta.orderId');
					}
					if (metaMap(doc).size > 0) {
						const existing = readMeta(doc);
						const wanted = parseOrderMeta(op.meta);
						if (existing === null || JSON.stringify(existing) !== JSON.stringify(wanted)) {
							throw new HttpError(409, 'meta_conflict', 'the order already has different meta');
						}
					} else {
						writeMeta(doc, op.meta, SERVICE_ORIGIN);
						applied = true;
					}
					break;
				}
				case 'assign': {
					if (op.event.type !== 'accepted') {
						throw new HttpError(400, 'invalid', 'a claim writes an accepted event', 'event.type');
					}
					if (op.event.by !== op.assignment.partnerId || op.event.role !== 'partner') {
						throw new HttpError(
							400,
							'invalid',
							'the accepted event must be by the partner',
							'event.by'
						);
					}
					const view = readOrder(doc);
					if (view === null)
						throw new HttpError(409, 'not_initialised', 'the order has no meta yet');
					if (view.assignment && view.assignment.partnerId !== op.assignment.partnerId) {
						throw new HttpError(
							409,
							'already_assigned',
							'the order is assigned to another partner'
						);
					}
					// a retried claim finds its event; a new one needs an order still pending (a
					// customer's cancel may have reached the document first)
					if (!hasEvent(doc, op.event.id) && view.status !== 'pending') {
						throw new HttpError(409, 'not_admitted', `the order is ${view.status}`);
					}
					doc.transact(() => {
						if (!view.assignment) {
							writeAssignment(doc, op.assignment, SERVICE_ORIGIN);
							applied = true;
						}
						if (!hasEvent(doc, op.event.id)) {
							appendEvent(doc, op.event, SERVICE_ORIGIN);
							applied = true;
						}
					}, SERVICE_ORIGIN);
					break;
				}
				case 'event': {
					const view = readOrder(doc);
					if (view === null) {
						throw new HttpError(409, 'not_initialised', 'the order has no meta yet');
					}
					if (!hasEvent(doc, op.event.id)) {
						const author = { userId: op.event.by, role: op.event.role };
						const facts = factsOf(view.meta, view.assignment);
						const admission = admitEvent(view.fold, facts, author, op.event.type);
						if (!admission.ok) throw new HttpError(409, 'not_admitted', admission.reason);
						appendEvent(doc, op.event, SERVICE_ORIGIN);
						applied = true;
					}
					break;
				}
			}
			if (applied) options.flushSoon();
			try {
				await document.whenDurable();
			} catch (error) {
				options.log.error({ err: error, orderId }, 'service write not durable');
				throw new HttpError(503, 'not_durable', 'the write could not be stored; retry');
			}
			return { applied, status: readOrder(doc)?.status ?? null };
		});
	}

	async function handle(
		req: IncomingMessage,
		res: ServerResponse,
		rawOrderId: string
	): Promise<void> {
		try {
			const orderId = authorizeInternalRequest(req, options.secret, rawOrderId, 'orderId');
			const body = await readJsonBody(req, MAX_BODY_BYTES);
			const parsed = serviceOpSchema.safeParse(body);
			if (!parsed.success) {
				const issue = parsed.error.issues[0]!;
				const field = issue.path.join('.') || 'op';
				throw new HttpError(400, 'invalid', `${field}: ${issue.message}`, field);
			}
			const result = await apply(orderId, parsed.data);
			options.log.info({ orderId, op: parsed.data.op, applied: result.applied }, 'service write');
			sendJson(res, 200, result);
		} catch (error) {
			if (error instanceof HttpError) return sendError(res, error);
			if (error instanceof Error && error.name === 'Refusal') {
				return sendError(res, new HttpError(503, 'unavailable', error.message));
			}
			throw error;
		}
	}

	return {
		name: 'service-channel',
		async handleHttp(request, response) {
			const orderId = matchPath(request, SERVICE_PATH);
			if (orderId === null) return false;
			await handle(request, response, orderId);
			return true;
		}
	};
}
