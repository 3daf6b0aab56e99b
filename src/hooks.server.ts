import {
	error,
	redirect,
	type Handle,
	type HandleServerError,
	type ServerInit
} from '@sveltejs/kit';
import { ensureAdmin } from '$lib/server/auth/accounts';
import { clearSessionCookie, setSessionCookie } from '$lib/server/auth/cookie';
import { areaRoles } from '$lib/server/auth/guards';
import { loginRedirectPath } from '$lib/server/auth/redirect';
import { SESSION_COOKIE, validateSessionToken } from '$lib/server/auth/session';
import { ctx, initServerContext } from '$lib/server/context';
import { ConfigError } from '$lib/server/env';
import { ApiError, apiError } from '$lib/server/http';
import { randomId } from '$lib/server/ids';

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
	const { config, database, log } = ctx();
	// adapter-node emits this once the HTTP server has closed (SIGTERM/SIGINT). The open MongoDB
	// pool would otherwise keep the process alive until it is killed.
	process.once('sveltekit:shutdown', () => {
		database.close().catch((err: unknown) => log.error({ err }, 'closing the database failed'));
	});
	if (config.admin) await ensureAdmin(database.collections, config.admin, log);
	if (config.production && !config.smtpUrl) {
		log.warn('SMTP_URL is not set: account mails are only written to the outbox collection');
	}
};

const isApiPath = (pathname: string) => pathname === '/api' || pathname.startsWith('/api/');

/**
 * Errors thrown while handling a request, noted by `handleError` so that `handle` can answer
 * with the JSON API's error shape (SvelteKit itself would answer a thrown error with a 500).
 */
const apiErrors = new WeakMap<Request, ApiError>();

export const handle: Handle = async ({ event, resolve }) => {
	const { config, database } = ctx();
	const secure = config.secureCookies;
	const token = event.cookies.get(SESSION_COOKIE);
	const result = token ? await validateSessionToken(database.collections, token) : null;
	event.locals.user = result?.user ?? null;
	event.locals.session = result?.session ?? null;
	if (token && !result) clearSessionCookie(event.cookies, secure);
	if (token && result?.renewed)
		setSessionCookie(event.cookies, token, result.session.expiresAt, secure);

	const { pathname, search } = event.url;
	const roles = areaRoles(pathname);
	if (roles) {
		const user = event.locals.user;
		const api = isApiPath(pathname);
		if (!user) {
			if (api) return apiError(401, 'unauthenticated', 'Sign in to do this.');
			redirect(303, loginRedirectPath(pathname + search));
		}
		if (!roles.includes(user.role)) {
			const message = `This area is for ${roles.join(' or ')} accounts.`;
			if (api) return apiError(403, 'forbidden', message);
			error(403, { message, code: 'forbidden' });
		}
	}

	const response = await resolve(event);
	const thrown = apiErrors.get(event.request);
	// Page data and use:enhance action requests keep SvelteKit's own error protocol.
	const enhancedAction = event.request.headers.get('x-sveltekit-action') === 'true';
	if (!thrown || event.isDataRequest || enhancedAction) return response;
	const converted = thrown.toResponse();
	for (const cookie of response.headers.getSetCookie())
		converted.headers.append('set-cookie', cookie);
	return converted;
};

export const handleError: HandleServerError = ({ error: err, event, status, message }) => {
	if (err instanceof ApiError) {
		apiErrors.set(event.request, err);
		return { message: err.message, code: err.code };
	}
	const api = isApiPath(event.url.pathname);
	if (status === 404) {
		if (api) apiErrors.set(event.request, new ApiError(404, 'not_found', 'No such API endpoint.'));
		return { message: 'Not found', code: 'not_found' };
	}
	if (status < 500) return { message };
	// Unexpected: log everything, show nothing internal, give a reference to find the log line.
	const ref = randomId(5);
	ctx().log.error(
		{ err, ref, method: event.request.method, path: event.url.pathname, route: event.route.id },
		'unhandled error'
	);
	const safe = `Something went wrong on our side. Please try again (reference ${ref}).`;
	if (api) apiErrors.set(event.request, new ApiError(500, 'internal', safe));
	return { message: safe, code: 'internal' };
};
