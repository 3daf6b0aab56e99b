import {
	error,
	json,
	redirect,
	type Handle,
	type HandleServerError,
	type RequestEvent,
	type ServerInit
} from '@sveltejs/kit';
import { setShopCurrency } from '$lib/catalog/money';
import { ensureAdmin } from '$lib/server/auth/accounts';
import { clearSessionCookie, setSessionCookie } from '$lib/server/auth/cookie';
import { areaRoles } from '$lib/server/auth/guards';
import { loginRedirectPath } from '$lib/server/auth/redirect';
import { SESSION_COOKIE, validateSessionToken } from './lib/shared/session';
import { ctx, initServerContext } from '$lib/server/context';
import { ConfigError } from './lib/shared/env';
import { isDatabaseUnavailable } from './lib/shared/db';
import {
	ApiError,
	apiError,
	bodyTooLarge,
	discardRest,
	errorCodeForStatus,
	isJsonContentType,
	MAX_JSON_BODY_BYTES
} from '$lib/server/http';
import { randomId } from './lib/shared/ids';
import { compressResponse } from '$lib/server/compress';
import { crossSiteRefusal } from '$lib/server/origin';
import { plainPage } from '$lib/server/plain-page';

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
	setShopCurrency(config.currency);
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

/** Requests that failed because the database could not be reached (noted by `handleError`). */
const databaseDown = new WeakSet<Request>();

/** Seconds a client should wait before retrying while the database is unreachable. */
const RETRY_AFTER_SECONDS = '5';
const UNAVAILABLE_MESSAGE =
	'Dispatch is temporarily unavailable. Please try again in a few seconds.';

/** A page form action submitted by `use:enhance`, which expects SvelteKit's JSON action result. */
const isEnhancedAction = (event: RequestEvent) =>
	event.request.headers.get('x-sveltekit-action') === 'true';

/**
 * The answer while the database is unreachable: 503 with Retry-After, as JSON for the API, as
 * SvelteKit's JSON protocol for client-side navigations and enhanced forms (the app then shows
 * its error page), and as a plain page otherwise. Nothing in it needs the database.
 */
function unavailable(event: RequestEvent): Response {
	const headers = { 'retry-after': RETRY_AFTER_SECONDS, 'cache-control': 'no-store' };
	if (isApiPath(event.url.pathname)) {
		return apiError(503, 'unavailable', UNAVAILABLE_MESSAGE, undefined, headers);
	}
	// SvelteKit's client reads a JSON string from a failed __data.json as the error's message.
	if (event.isDataRequest) return json(UNAVAILABLE_MESSAGE, { status: 503, headers });
	if (isEnhancedAction(event)) {
		const error = { message: UNAVAILABLE_MESSAGE, code: 'unavailable' };
		return json({ type: 'error', error }, { status: 503, headers });
	}
	return plainPage({
		status: 503,
		title: 'Temporarily unavailable',
		text: 'Dispatch is temporarily unavailable: we cannot reach our database right now. Nothing you did caused this. Please try again in a few seconds.',
		link: { href: event.url.pathname + event.url.search, label: 'Try again' },
		headers
	});
}

function noteDatabaseDown(event: RequestEvent, err: unknown) {
	databaseDown.add(event.request);
	const { name, message } = err instanceof Error ? err : { name: 'Error', message: String(err) };
	ctx().log.warn(
		{ err: { name, message }, method: event.request.method, path: event.url.pathname },
		'database unavailable: answered 503'
	);
}

/**
 * Checks made before anything is read or looked up: cross-site state-changing requests
 * (src/lib/server/origin.ts) and API bodies that declare more than the API ever accepts.
 */
function refuseEarly(event: RequestEvent, api: boolean): Response | null {
	const { config } = ctx();
	const own = [new URL(config.origin).origin, event.url.origin];
	const refusal = crossSiteRefusal(event.request, own);
	if (refusal) {
		if (api) return apiError(403, 'forbidden_origin', refusal);
		return plainPage({
			status: 403,
			title: 'Request refused',
			text: `${refusal} Open Dispatch itself and try again from there.`,
			link: { href: '/', label: 'Go to Dispatch' }
		});
	}
	if (api) {
		const declared = Number(event.request.headers.get('content-length'));
		if (Number.isFinite(declared) && declared > MAX_JSON_BODY_BYTES) {
			if (event.request.body) discardRest(event.request.body.getReader());
			return bodyTooLarge().toResponse();
		}
	}
	return null;
}

/**
 * An API answer that is an error but not JSON (SvelteKit's plain-text 405 for a method a route
 * does not export, for one) in the API's error shape, keeping Allow and Retry-After.
 */
function asApiError(event: RequestEvent, response: Response): Response {
	if (response.status < 400 || isJsonContentType(response.headers.get('content-type'))) {
		return response;
	}
	const status = response.status;
	const headers: Record<string, string> = {};
	for (const name of ['allow', 'retry-after']) {
		const value = response.headers.get(name);
		if (value) headers[name] = value;
	}
	const message =
		status === 405
			? `${event.request.method} is not allowed here${headers.allow ? `; this endpoint takes ${headers.allow}` : ''}.`
			: status === 404
				? 'No such API endpoint.'
				: status === 413
					? bodyTooLarge().message
					: `The request failed (HTTP ${status}).`;
	const converted = apiError(status, errorCodeForStatus(status), message, undefined, headers);
	for (const cookie of response.headers.getSetCookie()) {
		converted.headers.append('set-cookie', cookie);
	}
	return converted;
}

export const handle: Handle = async ({ event, resolve }) => {
	const api = isApiPath(event.url.pathname);
	const refused = refuseEarly(event, api);
	if (refused) return refused;
	let response: Response;
	try {
		response = await authorizeAndResolve(event, resolve, api);
	} catch (err) {
		// the session lookup (or a guard) found the database unreachable
		if (!isDatabaseUnavailable(err)) throw err;
		noteDatabaseDown(event, err);
		return unavailable(event);
	}
	if (databaseDown.has(event.request)) return unavailable(event);
	return compressResponse(event.request, api ? asApiError(event, response) : response);
};

async function authorizeAndResolve(
	event: RequestEvent,
	resolve: Parameters<Handle>[0]['resolve'],
	api: boolean
): Promise<Response> {
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
	if (!thrown || event.isDataRequest || isEnhancedAction(event)) return response;
	const converted = thrown.toResponse();
	for (const cookie of response.headers.getSetCookie())
		converted.headers.append('set-cookie', cookie);
	return converted;
}

export const handleError: HandleServerError = ({ error: err, event, status, message }) => {
	if (err instanceof ApiError) {
		apiErrors.set(event.request, err);
		return { message: err.message, code: err.code };
	}
	if (isDatabaseUnavailable(err)) {
		noteDatabaseDown(event, err);
		return { message: UNAVAILABLE_MESSAGE, code: 'unavailable' };
	}
	const api = isApiPath(event.url.pathname);
	if (status === 404) {
		if (api) apiErrors.set(event.request, new ApiError(404, 'not_found', 'No such API endpoint.'));
		return { message: 'Not found', code: 'not_found' };
	}
	if (status < 500) {
		// e.g. 413 from the adapter's body limit, met by a route reading its body itself
		const code = errorCodeForStatus(status);
		const thrown = status === 413 ? bodyTooLarge() : new ApiError(status, code, message);
		if (api) apiErrors.set(event.request, thrown);
		return { message, code };
	}
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
