// The web app's client for the sync-server's service channel: server-authored writes into order
// documents (order creation, claims, API cancellations). Authenticated with SYNC_SECRET; each call
// resolves once the sync-server has made the write durable and broadcast it.
import type {
	Assignment,
	FeedEntry,
	OrderEvent,
	OrderMeta,
	OrderStatus,
	PartnerEntry
} from '../order/index.ts';

interface SyncWriteResult {
	/** False when the document already held exactly this write (a retry); nothing changed. */
	applied: boolean;
	status: OrderStatus | null;
}

/** A refusal or failure of the service channel; `status` 0 means it could not be reached. */
export class SyncServiceError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly field?: string
	) {
		super(message);
		this.name = 'SyncServiceError';
	}
}

export interface SyncClientOptions {
	/** The sync-server's HTTP base URL, e.g. http://127.0.0.1:3001 (config `syncInternalUrl`). */
	baseUrl: string;
	secret: string;
	timeoutMs?: number;
}

export interface SyncClient {
	/** Writes the order's meta; idempotent for the same meta, 409 `meta_conflict` otherwise. */
	initOrder(orderId: string, meta: OrderMeta): Promise<SyncWriteResult>;
	/** Writes the winning claim: the assignment and its `accepted` event. */
	assign(orderId: string, assignment: Assignment, event: OrderEvent): Promise<SyncWriteResult>;
	/** Appends an event as the server (e.g. a cancellation through the API); idempotent by id. */
	appendServerEvent(orderId: string, event: OrderEvent): Promise<SyncWriteResult>;
	/** The board as feed/admin holds it now: active orders (newest first) and partners. */
	readBoard(): Promise<{ entries: FeedEntry[]; partners: PartnerEntry[] }>;
	/** An order document's whole state (a Yjs update, base64); 404 for an order it lacks. */
	readOrderState(orderId: string): Promise<string>;
}

export function createSyncClient(options: SyncClientOptions): SyncClient {
	const base = options.baseUrl.replace(/\/+$/, '');
	const timeoutMs = options.timeoutMs ?? 5_000;

	async function post(orderId: string, body: unknown): Promise<SyncWriteResult> {
		let response: Response;
		try {
			response = await fetch(`${base}/internal/orders/${encodeURIComponent(orderId)}/ops`, {
				method: 'POST',
				headers: {
					authorization: `Bearer ${options.secret}`,
					'content-type': 'application/json'
				},
				body: JSON.stringify(body),
				signal: AbortSignal.timeout(timeoutMs)
			});
		} catch (error) {
			const timedOut = error instanceof Error && error.name === 'TimeoutError';
			throw new SyncServiceError(
				0,
				timedOut ? 'timeout' : 'unreachable',
				timedOut ? `sync-server did not answer within ${timeoutMs} ms` : 'sync-server unreachable'
			);
		}
		const payload = (await response.json().catch(() => null)) as
			(SyncWriteResult & { error?: { code?: string; message?: string; field?: string } }) | null;
		if (!response.ok || payload === null) {
			const error = payload?.error;
			throw new SyncServiceError(
				response.status,
				error?.code ?? 'sync_error',
				error?.message ?? `sync-server answered ${response.status}`,
				error?.field
			);
		}
		return { applied: payload.applied, status: payload.status };
	}

	const badAnswer = () => new SyncServiceError(502, 'sync_error', 'unexpected sync-server answer');

	/** A read of the service channel (GET, same token). */
	async function get<T>(path: string): Promise<T> {
		let response: Response;
		try {
			response = await fetch(`${base}${path}`, {
				headers: { authorization: `Bearer ${options.secret}` },
				signal: AbortSignal.timeout(timeoutMs)
			});
		} catch {
			throw new SyncServiceError(0, 'unreachable', 'sync-server unreachable');
		}
		const payload = (await response.json().catch(() => null)) as
			(T & { error?: { code?: string; message?: string } }) | null;
		if (!response.ok || payload === null) {
			throw new SyncServiceError(
				response.status,
				payload?.error?.code ?? 'sync_error',
				payload?.error?.message ?? `sync-server answered ${response.status}`
			);
		}
		return payload;
	}

	return {
		initOrder: (orderId, meta) => post(orderId, { op: 'init', meta }),
		assign: (orderId, assignment, event) => post(orderId, { op: 'assign', assignment, event }),
		appendServerEvent: (orderId, event) => post(orderId, { op: 'event', event }),
		async readBoard() {
			const payload = await get<{ entries?: FeedEntry[]; partners?: PartnerEntry[] }>(
				'/internal/feeds/admin'
			);
			if (!payload.entries || !payload.partners) throw badAnswer();
			return { entries: payload.entries, partners: payload.partners };
		},
		async readOrderState(orderId) {
			const payload = await get<{ update?: string }>(
				`/internal/orders/${encodeURIComponent(orderId)}/state`
			);
			if (typeof payload.update !== 'string') throw badAnswer();
			return payload.update;
		}
	};
}
