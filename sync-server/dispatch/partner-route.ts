// POST /internal/partners/<id>: the web app reports that a partner's account changed (e.g. the
// availability toggle); the board re-reads it. Authenticated with SYNC_SECRET like the service
// channel; never reachable with a user session.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../src/lib/shared/log.ts';
import { HttpError, sendError, sendJson } from './http-json.ts';
import type { PartnerBoard } from './partner-board.ts';
import { authorizeInternalRequest } from './service-auth.ts';

export const PARTNER_PATH = /^\/internal\/partners\/([^/]+)$/;

export function createPartnerRoute(options: { board: PartnerBoard; secret: string; log: Logger }) {
	return async function handle(
		req: IncomingMessage,
		res: ServerResponse,
		rawPartnerId: string
	): Promise<void> {
		req.resume(); // the body carries nothing
		try {
			const partnerId = authorizeInternalRequest(req, options.secret, rawPartnerId, 'partnerId');
			await options.board.refreshPartner(partnerId);
			sendJson(res, 200, { ok: true });
		} catch (error) {
			if (error instanceof HttpError) return sendError(res, error);
			options.log.error({ err: error }, 'partner refresh failed');
			sendError(res, new HttpError(503, 'unavailable', 'could not refresh the partner'));
		}
	};
}
