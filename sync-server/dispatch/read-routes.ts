// GET /internal/feeds/admin: the board as feed/admin holds it (active orders and partners), for
// the web app's first render of the board. Reading the feed from memory costs a few milliseconds
// for 2,000 orders; the same from the `orders` index is a scan of every order ever placed on
// FerretDB (seconds on a busy day). Authenticated with SYNC_SECRET like the service channel.
import { feedDocName, readFeed, readPartners } from '../../src/lib/order/index.ts';
import type { Logger } from '../../src/lib/shared/log.ts';
import type { SyncExtension } from '../core/extension.ts';
import type { SyncServer } from '../core/server.ts';
import { HttpError, sendError, sendJson } from './http-json.ts';
import type { DispatchPrincipal } from './principal.ts';
import { bearerMatches } from './service-auth.ts';

export const BOARD_PATH = '/internal/feeds/admin';

export function boardRoute(options: {
	server: SyncServer<DispatchPrincipal>;
	secret: string;
	log: Logger;
}): SyncExtension<DispatchPrincipal> {
	return {
		name: 'board-route',
		async handleHttp(req, res) {
			if (new URL(req.url ?? '/', 'http://localhost').pathname !== BOARD_PATH) return false;
			req.resume(); // no body
			try {
				if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'use GET');
				if (!bearerMatches(req.headers.authorization, options.secret)) {
					throw new HttpError(401, 'unauthorized', 'a valid service token is required');
				}
				const board = await options.server.withDocument(feedDocName('admin'), (document) => ({
					entries: readFeed(document.doc),
					partners: readPartners(document.doc)
				}));
				sendJson(res, 200, board);
			} catch (error) {
				if (error instanceof HttpError) sendError(res, error);
				else {
					options.log.error({ err: error }, 'reading the board failed');
					sendError(res, new HttpError(503, 'unavailable', 'the board could not be read'));
				}
			}
			return true;
		}
	};
}
