import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { pingDatabase, type Database } from '../../src/lib/shared/db.ts';
import { HttpError, sendError, sendJson } from './http-json.ts';
import type { SyncExtension } from '../core/extension.ts';
import type { DispatchPrincipal } from './principal.ts';

/** Operability: GET /healthz (the database answers) and GET /metrics (Prometheus). */
export function operability(options: {
	database: Database;
	registry: Registry;
}): SyncExtension<DispatchPrincipal> {
	async function healthy(): Promise<boolean> {
		const timeout = new Promise<boolean>((resolve) =>
			setTimeout(() => resolve(false), 2_000).unref()
		);
		return Promise.race([pingDatabase(options.database), timeout]);
	}

	async function route(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
		const path = new URL(req.url ?? '/', 'http://localhost').pathname;
		if (path === '/healthz') {
			if (req.method !== 'GET' && req.method !== 'HEAD') {
				sendError(res, new HttpError(405, 'method_not_allowed', 'use GET'));
				return true;
			}
			const ok = await healthy();
			sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'database unreachable' });
			return true;
		}
		if (path === '/metrics') {
			if (req.method !== 'GET') {
				sendError(res, new HttpError(405, 'method_not_allowed', 'use GET'));
				return true;
			}
			const text = await options.registry.metrics();
			res.writeHead(200, { 'content-type': options.registry.contentType });
			res.end(text);
			return true;
		}
		return false;
	}

	return { name: 'operability', handleHttp: route };
}
