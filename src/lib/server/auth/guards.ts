// Authorization helpers. Every API route checks its caller with `requireUser`; page areas are
// guarded by role in hooks.server.ts through `areaRoles`.
import type { Role } from '../../order/index.ts';
import { ApiError } from '../http.ts';
import type { SessionUser } from '../../shared/session.ts';

/**
 * The signed-in user, or a thrown ApiError: 401 `unauthenticated` without a session, 403
 * `forbidden` when `roles` is given and the user has none of them.
 */
export function requireUser(
	locals: { user: SessionUser | null },
	roles?: readonly Role[]
): SessionUser {
	const user = locals.user;
	if (!user) throw new ApiError(401, 'unauthenticated', 'Sign in to do this.');
	if (roles && !roles.includes(user.role)) {
		const names = roles.join(' or ');
		throw new ApiError(
			403,
			'forbidden',
			`This needs ${/^[aeiou]/.test(names) ? 'an' : 'a'} ${names} account.`
		);
	}
	return user;
}

/**
 * With REQUIRE_EMAIL_VERIFICATION on, unverified accounts may browse but not order.
 * Throws 403 `email_unverified`.
 */
export function assertMayOrder(
	user: Pick<SessionUser, 'emailVerified'>,
	config: { requireEmailVerification: boolean }
): void {
	if (config.requireEmailVerification && !user.emailVerified) {
		throw new ApiError(
			403,
			'email_unverified',
			'Confirm your email address before ordering: use the link we mailed you, or ask for a new one on your account page.'
		);
	}
}

/** Areas of the site that only some roles may enter, pages and their APIs alike. */
const AREAS: { prefix: string; roles: readonly Role[] }[] = [
	{ prefix: '/partner', roles: ['partner'] },
	{ prefix: '/admin', roles: ['admin'] },
	{ prefix: '/api/partner', roles: ['partner'] },
	{ prefix: '/api/admin', roles: ['admin'] }
];

/** The roles allowed on this path, or null when the path is not role-restricted. */
export function areaRoles(pathname: string): readonly Role[] | null {
	let match: { prefix: string; roles: readonly Role[] } | null = null;
	for (const area of AREAS) {
		const inside = pathname === area.prefix || pathname.startsWith(`${area.prefix}/`);
		if (inside && (!match || area.prefix.length > match.prefix.length)) match = area;
	}
	return match?.roles ?? null;
}
