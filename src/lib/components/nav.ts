// What the header offers each kind of visitor. Paths of pages other parts of the app build.
import type { Role } from '$lib/order';

export interface NavItem {
	href: string;
	label: string;
}

// Routes the app has today are typed, so `resolve()` checks them; the role sections below are
// plain strings because those pages are built separately.
export const LOGIN_PATH = '/login' as const;
export const REGISTER_PATH = '/register' as const;
export const LOGOUT_PATH = '/logout' as const;
export const ACCOUNT_PATH = '/account' as const;

const NAV: Record<Role | 'anonymous', NavItem[]> = {
	anonymous: [{ href: '/', label: 'Shop' }],
	customer: [
		{ href: '/', label: 'Shop' },
		{ href: '/orders', label: 'My orders' }
	],
	partner: [
		{ href: '/partner', label: 'Open orders' },
		{ href: '/partner/orders', label: 'My deliveries' },
		{ href: '/partner/profile', label: 'Profile' }
	],
	admin: [
		{ href: '/admin', label: 'Board' },
		{ href: '/admin/orders', label: 'Orders' }
	]
};

export function navFor(role: Role | null): NavItem[] {
	return NAV[role ?? 'anonymous'];
}

/** Where each kind of visitor starts: the first item of their navigation (as homePathFor). */
export function homeFor(role: Role | null): string {
	return navFor(role)[0]?.href ?? '/';
}

/** The item for the current page: the longest href that is the path or a folder above it. */
export function activeHref(items: readonly NavItem[], pathname: string): string | null {
	let best: string | null = null;
	for (const { href } of items) {
		const matches =
			pathname === href ||
			(href !== '/' && pathname.startsWith(href.endsWith('/') ? href : `${href}/`));
		if (matches && (best === null || href.length > best.length)) best = href;
	}
	return best;
}

export const ROLE_LABELS: Record<Role, string> = {
	customer: 'Customer',
	partner: 'Partner',
	admin: 'Admin'
};
