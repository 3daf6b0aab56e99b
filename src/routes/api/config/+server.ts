import { ctx } from '$lib/server/context';
import { apiJson } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** GET /api/config → where clients find the sync-server. */
export const GET: RequestHandler = () => apiJson({ syncUrl: ctx().config.syncUrl });
