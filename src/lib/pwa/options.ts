// The installable app: web app manifest and service worker (vite.config.ts passes these to
// @vite-pwa/sveltekit). Decisions are in docs/offline.md.
//
// The pages are rendered on the server per user, so there is no SPA shell to fall back to:
// navigations (and the `__data.json` requests of client-side navigations) go network first and
// keep the last good answer; a page reached by a client-side navigation is fetched once more as a
// page and kept too (page-cache.ts), so every page a person has seen opens offline; a page never
// seen offline gets `/offline` (static/offline.html, precached). Build assets are precached.
// The installed app starts at `/start`, which sends each person to their home (start.ts).
import type { SvelteKitPWAOptions } from '@vite-pwa/sveltekit';

/** Runtime cache of pages this browser has seen; logout deletes it (src/lib/pwa/local-data.ts). */
export const PAGES_CACHE = 'dispatch-pages';
/** The page shown for a route never opened before while offline. */
const OFFLINE_FALLBACK_URL = '/offline';
/** The installed app's start URL: the server redirects to the signed-in person's home. */
const START_URL = '/start';
/** What `/start` is offline: a precached page that goes to the home remembered on this device. */
const START_OFFLINE_URL = '/start-offline';
/** How long a navigation waits for the network before the cached copy is shown. */
const NETWORK_TIMEOUT_SECONDS = 4;

const THEME_COLOR = '#0f5132';
const BACKGROUND_COLOR = '#f6f7f5';

const webManifest = {
	id: '/',
	name: 'Dispatch — order & delivery',
	short_name: 'Dispatch',
	description: 'Order from local shops, deliver orders, and watch every order move in real time.',
	start_url: START_URL,
	scope: '/',
	display: 'standalone',
	orientation: 'any',
	lang: 'en',
	theme_color: THEME_COLOR,
	background_color: BACKGROUND_COLOR,
	categories: ['food', 'shopping', 'business'],
	icons: [
		{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
		{ src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
		{ src: '/icons/maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
		{ src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
		{ src: '/icons/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }
	]
} satisfies SvelteKitPWAOptions['manifest'];

/** @internal the build (vite.config.ts) is its user */
export const pwaOptions: Partial<SvelteKitPWAOptions> = {
	// The new version waits until the person chooses "Reload" (UpdatePrompt.svelte).
	registerType: 'prompt',
	strategies: 'generateSW',
	// SvelteKit builds with a relative Vite base ('./'), which would register `./sw.js` relative
	// to each page (a 404 on /partner/orders); the worker lives at the root and serves it all.
	base: '/',
	scope: '/',
	manifest: webManifest,
	// The page registers the worker itself (src/lib/pwa/register.ts), so no registerSW.js is injected.
	injectRegister: false,
	workbox: {
		globPatterns: [
			'client/**/*.{js,css,ico,png,svg,webp,woff2,webmanifest}',
			'client/offline.html',
			'client/start-offline.html',
			'prerendered/**/*.html'
		],
		// Product pictures are many and only needed on the shop pages; they are cached as seen.
		globIgnores: ['**/products/**'],
		// Not an SPA: no single shell answers every route (see the note at the top).
		navigateFallback: null,
		// The first worker takes over open pages at once, so the pages seen next are cached.
		clientsClaim: true,
		cleanupOutdatedCaches: true,
		runtimeCaching: [
			{
				// The installed app's start: the server knows whose home it is; offline, the page
				// kept for it sends the person to the home this device last saw them on.
				urlPattern: ({ request, url }) => request.mode === 'navigate' && url.pathname === '/start',
				// (network first only for its timeout: the answer is a redirect, never kept)
				handler: 'NetworkFirst',
				options: {
					cacheName: PAGES_CACHE,
					networkTimeoutSeconds: NETWORK_TIMEOUT_SECONDS,
					cacheableResponse: { statuses: [200] },
					precacheFallback: { fallbackURL: START_OFFLINE_URL }
				}
			},
			{
				urlPattern: ({ request }) => request.mode === 'navigate',
				handler: 'NetworkFirst',
				options: {
					cacheName: PAGES_CACHE,
					networkTimeoutSeconds: NETWORK_TIMEOUT_SECONDS,
					// Only real pages: never a redirect (e.g. to /login) or an error page.
					cacheableResponse: { statuses: [200] },
					precacheFallback: { fallbackURL: OFFLINE_FALLBACK_URL },
					expiration: { maxEntries: 200 }
				}
			},
			{
				// The data of client-side navigations; with no copy the request fails and SvelteKit
				// falls back to a full page load, which gets the cached page or the offline page.
				urlPattern: ({ request, url }) =>
					request.method === 'GET' && url.pathname.endsWith('/__data.json'),
				handler: 'NetworkFirst',
				options: {
					cacheName: PAGES_CACHE,
					networkTimeoutSeconds: NETWORK_TIMEOUT_SECONDS,
					cacheableResponse: { statuses: [200] },
					expiration: { maxEntries: 200 }
				}
			},
			{
				urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.startsWith('/products/'),
				handler: 'CacheFirst',
				options: {
					cacheName: 'dispatch-images',
					cacheableResponse: { statuses: [200] },
					expiration: { maxEntries: 100 }
				}
			}
		]
	}
};

type PluginLike = { name?: string; closeBundle?: unknown } | null | false | undefined;

/**
 * @vite-pwa/sveltekit writes sw.js and the workbox runtime in its `closeBundle`, marked
 * `enforce: 'pre'` — a key Vite 8 ignores in hook objects — so it could run after SvelteKit's own
 * `closeBundle`, where adapter-node copies the client output to build/, leaving build/client
 * without them (seen here: a 404 for the workbox script). Vite's `order: 'pre'` makes it run first.
 * @internal the build (vite.config.ts) is its user
 */
export function generateServiceWorkerBeforeAdapter<T extends PluginLike>(plugins: T[]): T[] {
	for (const plugin of plugins) {
		if (!plugin || plugin.name !== 'vite-plugin-pwa:sveltekit:build') continue;
		const hook = plugin.closeBundle;
		if (hook && typeof hook === 'object') Object.assign(hook, { order: 'pre' });
	}
	return plugins;
}
