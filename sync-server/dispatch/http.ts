import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { pingDatabase, type Database } from '../../src/lib/server/db.ts';
import { HttpError, sendError, sendJson } from './http-json.ts';
import { PARTNER_PATH } from './partner-route.ts';
import { SERVICE_PATH } from './service-channel.ts';

/** The sync-server's plain HTTP routes: health, metrics and the service channel. */
export function createHttpRouter(options: {
	database: Database;
	registry: Registry;
	service: (req: IncomingMessage, res: ServerResponse, orderId: string) => Promise<void>;
	/** POST /internal/partners/<id> (feeds.ts): a partner's account changed. */
	partners?: (req: IncomingMessage, res: ServerResponse, partnerId: string) => Promise<void>;
}) {
	async function healthy(): Promise<boolean> {
		const timeout = new Promise<boolean>((resolve) =>
			setTimeout(() => resolve(false), 2_000).unref()
		);
		return Promise.race([pingDatabase(options.database), timeout]);
	}

	return async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const path = new URL(req.url ?? '/', 'http://localhost').pathname;
		if (path === '/healthz') {
			if (req.method !== 'GET' && req.method !== 'HEAD') {
				return sendError(res, new HttpError(405, 'method_not_allowed', 'use GET'));
			}
			const ok = await healthy();
			return sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'database unreachable' });
		}
		if (path === '/metrics') {
			if (req.method !== 'GET')
				return sendError(res, new HttpError(405, 'method_not_allowed', 'use GET'));
			const text = await options.registry.metrics();
			res.writeHead(200, { 'content-type': options.registry.contentType });
			res.end(text);
			return;
		}
		const service = SERVICE_PATH.exec(path);
		if (service) return options.service(req, res, service[1]!);
		const partner = PARTNER_PATH.exec(path);
		if (partner && options.partners) return options.partners(req, res, partner[1]!);
		sendError(res, new HttpError(404, 'not_found', 'no such route'));
	};
}
