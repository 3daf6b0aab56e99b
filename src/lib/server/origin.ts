// Cross-site request refusal for every state-changing request (POST, PUT, PATCH, DELETE), whatever
// its content type; `handle` in hooks.server.ts applies it before anything else runs. SvelteKit's
// own check (turned off in svelte.config.js, as this one replaces it) only looked at form content
// types, so a body-less POST (cancel, claim, logout) or a JSON one was never checked.
//
// The rule:
// - `Sec-Fetch-Site: cross-site` is refused (a browser says the request comes from another site).
// - An `Origin` header must be the app's own origin (ORIGIN); anything else, `null` included, is
//   refused. Browsers send Origin on every cross-origin POST (forms, fetch, no-cors too).
// - No Origin at all is allowed, because that is not a browser acting for another site: curl,
//   native apps and tests send none. Except for the content types an HTML form can send
//   (urlencoded, multipart, text/plain), which also need a matching Origin, as SvelteKit required.

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

function isFormContentType(request: Request): boolean {
	const type = (request.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
	return FORM_TYPES.includes(type);
}

/**
 * Why this request must be refused as cross-site, or null when it may go on. `ownOrigins` are
 * the app's origins (`https://shop.example.com`, no trailing slash).
 */
export function crossSiteRefusal(request: Request, ownOrigins: readonly string[]): string | null {
	if (!STATE_CHANGING.has(request.method)) return null;
	if (request.headers.get('sec-fetch-site')?.toLowerCase() === 'cross-site') {
		return 'The request comes from another site.';
	}
	const origin = request.headers.get('origin');
	if (origin !== null) {
		return ownOrigins.includes(origin) ? null : `Requests from ${origin} are not accepted here.`;
	}
	if (isFormContentType(request)) {
		// a JSON client that left curl's default form type on is told what it most likely meant
		return new URL(request.url).pathname.startsWith('/api/')
			? 'A form submission must come from this site; to call the API, send JSON with Content-Type: application/json.'
			: 'A form submission must come from this site.';
	}
	return null;
}
