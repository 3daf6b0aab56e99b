import type { Handle, ServerInit } from '@sveltejs/kit';
import { SESSION_COOKIE, validateSessionToken } from '$lib/server/auth/session';
import { ctx, initServerContext } from '$lib/server/context';
import { ConfigError } from '$lib/server/env';

export const init: ServerInit = async () => {
	try {
		await initServerContext();
	} catch (err) {
		if (err instanceof ConfigError) {
			console.error(err.message);
			process.exit(1);
		}
		throw err;
	}
};

export const handle: Handle = async ({ event, resolve }) => {
	const { database } = ctx();
	const token = event.cookies.get(SESSION_COOKIE);
	const result = token ? await validateSessionToken(database.collections, token) : null;
	event.locals.user = result?.user ?? null;
	event.locals.session = result?.session ?? null;
	if (token && !result) event.cookies.delete(SESSION_COOKIE, { path: '/' });
	return resolve(event);
};
