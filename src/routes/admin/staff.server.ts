// Shared by the admin pages' server code (hooks.server.ts already keeps non-admins out).
import { error } from '@sveltejs/kit';
import type { SessionUser } from '../../lib/shared/session';

export function signedInAdmin(locals: App.Locals): SessionUser {
	const user = locals.user;
	if (!user || user.role !== 'admin') {
		error(403, { message: 'This area is for admin accounts.', code: 'forbidden' });
	}
	return user;
}
