import { json } from '@sveltejs/kit';
import { ctx } from '$lib/server/context';
import { pingDatabase } from '../../../lib/shared/db';

/**
 * GET → 200 `{ok: true, database: 'up'}`, or 503 `{ok: false, database: 'down', error}` (the
 * API's error shape, with Retry-After) while the database cannot be reached.
 */
export const GET = async () => {
	const ok = await pingDatabase(ctx().database);
	if (ok) return json({ ok, database: 'up' });
	const error = { code: 'unavailable', message: 'The database cannot be reached right now.' };
	return json(
		{ ok, database: 'down', error },
		{ status: 503, headers: { 'retry-after': '5', 'cache-control': 'no-store' } }
	);
};
