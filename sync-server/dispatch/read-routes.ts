// Reads for the web app's first renders, from the documents this process holds (loading them if
// need be), authenticated with SYNC_SECRET like the service channel:
// - GET /internal/feeds/admin: the board as feed/admin holds it (active orders and partners).
//   From memory that costs a few milliseconds for 2,000 orders; from the `orders` index it is a
//   scan of every order ever placed on FerretDB (seconds on a busy day).
// - GET /internal/orders/<id>/state: an order document's whole state (a Yjs update, base64), so
//   an order page is rendered as the document says, and hydrates to the same page, instead of
//   from the index row and then again when the document arrives (a layout shift).
// The web app checks who may see what before it asks.
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as Y from 'yjs';
import {
	feedDocName,
	ID_PATTERN,
	metaMap,
	orderDocName,
	readFeed,
	readPartners
} from '../../src/lib/order/index.ts';
import type { Logger } from '../../src/lib/shared/log.ts';
import type { SyncExtension } from '../core/extension.ts';
import type { SyncServer } from '../core/server.ts';
import { HttpError, sendError, sendJson } from './http-json.ts';
import type { DispatchPrincipal } from './principal.ts';
import { bearerMatches } from './service-auth.ts';

const BOARD_PATH = '/internal/feeds/admin';
const ORDER_STATE_PATH = /^\/internal\/orders\/([^/]+)\/state$/;

export function readRoutes(options: {
	server: SyncServer<DispatchPrincipal>;
	secret: string;
	log: Logger;
}): SyncExtension<DispatchPrincipal> {
	const { server } = options;

	async function serve(
		req: IncomingMessage,
		res: ServerResponse,
		what: string,
		read: () => Promise<unknown>
	): Promise<void> {
		req.resume(); // no body
		try {
			if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'use GET');
			if (!bearerMatches(req.headers.authorization, options.secret)) {
				throw new HttpError(401, 'unauthorized', 'a valid service token is required');
			}
			sendJson(res, 200, await read());
		} catch (error) {
			if (error instanceof HttpError) return sendError(res, error);
			options.log.error({ err: error }, `reading ${what} failed`);
			sendError(res, new HttpError(503, 'unavailable', `${what} could not be read`));
		}
	}

	const board = () =>
		server.withDocument(feedDocName('admin'), (document) => ({
			entries: readFeed(document.doc),
			partners: readPartners(document.doc)
		}));

	const orderState = (rawOrderId: string) => async () => {
		let orderId: string;
		try {
			orderId = decodeURIComponent(rawOrderId);
		} catch {
			throw new HttpError(400, 'invalid', 'bad order id', 'orderId');
		}
		if (!ID_PATTERN.test(orderId)) throw new HttpError(400, 'invalid', 'bad order id', 'orderId');
		return server.withDocument(orderDocName(orderId), (document) => {
			if (metaMap(document.doc).size === 0) throw new HttpError(404, 'not_found', 'no such order');
			return { update: Buffer.from(Y.encodeStateAsUpdate(document.doc)).toString('base64') };
		});
	};

	return {
		name: 'read-routes',
		async handleHttp(req, res) {
			const path = new URL(req.url ?? '/', 'http://localhost').pathname;
			if (path === BOARD_PATH) {
				await serve(req, res, 'the board', board);
				return true;
			}
			const order = ORDER_STATE_PATH.exec(path);
			if (order) {
				await serve(req, res, 'the order', orderState(order[1]!));
				return true;
			}
			return false;
		}
	};
}
