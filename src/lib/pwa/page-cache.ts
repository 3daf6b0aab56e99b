// Pages reached inside the app open offline too. The service worker keeps every page it serves as
// a navigation (a full load), but a client-side navigation only fetches the page's data
// (`__data.json`), so reloading that URL offline would find no page. After such a navigation the
// page itself is fetched once and put in the same cache the worker serves navigations from. The
// live parts of every page then read their documents from IndexedDB, so the copy is a carrier for
// the layout and the server's data of that moment, not the source of live state.
import { PAGES_CACHE } from './options';

/** A kept copy younger than this is not fetched again. */
const FRESH_MS = 60_000;
/** Remembered by the installed app's offline start page (static/start-offline.html). */
const HOME_KEY = 'dispatch:home';

function cacheKey(url: URL): string {
	return url.origin + url.pathname + url.search;
}

/** Whether a service worker served this page when it loaded (then it kept the page itself). */
const controlledAtLoad =
	typeof navigator !== 'undefined' && Boolean(navigator.serviceWorker?.controller);

/** Resolves true once a service worker controls this page (false if none does within a minute). */
function whenControlled(): Promise<boolean> {
	const container = navigator.serviceWorker;
	if (!container) return Promise.resolve(false);
	if (container.controller) return Promise.resolve(true);
	return new Promise((resolve) => {
		const timer = setTimeout(() => resolve(false), 60_000);
		container.addEventListener(
			'controllerchange',
			() => {
				clearTimeout(timer);
				resolve(true);
			},
			{ once: true }
		);
	});
}

/**
 * After a navigation to `url`: keeps the page for offline use unless the service worker already
 * did (a full load it served). On a first visit the worker takes over only after installing
 * (`clientsClaim`), so the page is kept once it does.
 */
export async function keepPageAfterNavigation(url: URL, fullLoad: boolean): Promise<void> {
	if (fullLoad && controlledAtLoad) return;
	if (!(await whenControlled())) return;
	await keepPageForOffline(url);
}

/** Keeps the page at `url` for offline use (fetched again if the kept copy is not fresh). */
async function keepPageForOffline(url: URL): Promise<void> {
	if (!('caches' in window) || !navigator.onLine) return;
	if (url.origin !== location.origin) return;
	const key = cacheKey(url);
	try {
		const cache = await caches.open(PAGES_CACHE);
		const kept = await cache.match(key);
		const keptAt = Date.parse(kept?.headers.get('date') ?? '');
		if (kept && Date.now() - keptAt < FRESH_MS) return;
		const response = await fetch(key, {
			credentials: 'same-origin',
			cache: 'no-store',
			headers: { accept: 'text/html' }
		});
		// Only real pages: never a redirect (to /login, say) or an error page.
		const html = response.headers.get('content-type')?.startsWith('text/html') ?? false;
		if (response.status !== 200 || response.redirected || !html) return;
		await cache.put(key, response);
	} catch {
		/* offline meanwhile, or storage full: the page just isn't kept */
	}
}

/** The page the installed app opens on for whoever is signed in here (see start.ts). */
export function rememberHome(path: string): void {
	try {
		localStorage.setItem(HOME_KEY, path);
	} catch {
		/* storage disabled */
	}
}
