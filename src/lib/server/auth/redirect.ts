import type { Role } from '../../order/schema.ts';
/**
 * The `next` target after login, or `fallback`. Only same-site relative paths are accepted:
 * `//evil.example`, `/\evil.example`, absolute URLs and anything with control characters are
 * refused, so the login page can't be turned into an open redirect.
 */
export function safeNextPath(next: string | null | undefined, fallback = '/'): string {
	if (!next || next.length > 2000) return fallback;
	if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback;
	try {
		const base = 'http://same.invalid';
		const url = new URL(next, base);
		if (url.origin !== base) return fallback;
		return url.pathname + url.search + url.hash;
	} catch {
		return fallback;
	}
}

/** `/login?next=<path>` for a page the visitor must sign in to see. */
export function loginRedirectPath(pathWithSearch: string): string {
	return `/login?next=${encodeURIComponent(pathWithSearch)}`;
}

/** Where each role lands after logging in or registering when no `next` was asked for. */
export function homePathFor(role: Role): string {
	return role === 'partner' ? '/partner' : role === 'admin' ? '/admin' : '/';
}
