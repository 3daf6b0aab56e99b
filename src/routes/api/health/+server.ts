import { json } from '@sveltejs/kit';
import { ctx } from '$lib/server/context';
import { pingDatabase } from '$lib/server/db';

export const GET = async () => {
	const ok = await pingDatabase(ctx().database);
	return json({ ok, database: ok ? 'up' : 'down' }, { status: ok ? 200 : 503 });
};
