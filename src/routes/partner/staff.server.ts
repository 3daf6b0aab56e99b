// Shared by the partner pages' server code: the signed-in partner, and service errors turned into
// form failures the pages can show (hooks.server.ts already keeps non-partners out of /partner).
import { error, fail } from '@sveltejs/kit';
import type { SessionUser } from '../../lib/shared/session';
import { ApiError } from '$lib/server/http';

export function signedInPartner(locals: App.Locals): SessionUser {
	const user = locals.user;
	if (!user || user.role !== 'partner') {
		error(403, { message: 'This area is for partner accounts.', code: 'forbidden' });
	}
	return user;
}

/** An ApiError from the order service as `fail(status, {action, code, message, ...extra})`. */
export function serviceFailure<A extends string, E extends Record<string, unknown>>(
	err: unknown,
	action: A,
	extra: E
) {
	if (!(err instanceof ApiError)) throw err;
	return fail(err.status, {
		action,
		code: err.code,
		message: err.message,
		field: err.field,
		...extra
	});
}
