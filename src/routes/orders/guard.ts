// Who may use the customer's order pages: customers (their own orders) and admins. Partners have
// their own app; the order document's room would refuse them anyway.
import { error, redirect } from '@sveltejs/kit';
import type { SessionUser } from '../../lib/shared/session';
import { loginRedirectPath } from '$lib/server/auth/redirect';
import { ApiError } from '$lib/server/http';

export function requireOrderViewer(locals: App.Locals, url: URL): SessionUser {
	const user = locals.user;
	if (!user) redirect(303, loginRedirectPath(url.pathname + url.search));
	if (user.role === 'partner') {
		error(403, {
			message: 'Partners see their orders under My deliveries.',
			code: 'forbidden'
		});
	}
	return user;
}

/** An ApiError thrown by the order service as SvelteKit's page error (404, 403…). */
export function pageErrorFrom(err: unknown): never {
	if (err instanceof ApiError) error(err.status, { message: err.message, code: err.code });
	throw err;
}
