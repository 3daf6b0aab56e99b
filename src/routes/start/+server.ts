// The installed app's start URL (src/lib/pwa/options.ts): each person lands on their own home —
// partners on their open orders, admins on the board, customers (and anyone signed out) on the
// shop. With no network the service worker answers with static/start-offline.html instead.
import { redirect } from '@sveltejs/kit';
import { homePathFor } from '$lib/server/auth/redirect';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = ({ locals, setHeaders }) => {
	setHeaders({ 'cache-control': 'no-store' });
	redirect(303, locals.user ? homePathFor(locals.user.role) : '/');
};
