import type { RejectionKind } from './close-codes.ts';

/**
 * Thrown by the `authenticate` and `authorizeRoom` hooks to refuse a WebSocket upgrade with an
 * HTTP status (401 no session, 403 forbidden, 503 busy or unavailable) and a short reason.
 */
export class Refusal extends Error {
	constructor(
		public readonly status: 400 | 401 | 403 | 404 | 429 | 503,
		public readonly kind: RejectionKind,
		public readonly reason: string
	) {
		super(reason);
		this.name = 'Refusal';
	}
}
