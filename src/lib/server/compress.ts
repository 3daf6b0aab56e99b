// Compresses the web app's rendered pages and JSON on the way out (gzip), for clients that accept
// it. adapter-node serves the build's static files precompressed, but not what the server renders:
// a board or an order page is 10-20 KB of HTML that gzip makes a quarter of, which on a phone's
// network is the difference that decides when the page first paints. Small bodies, bodies already
// encoded and anything but text are passed through.
const COMPRESSIBLE = /^(text\/html|application\/json)\b/;
/** Below this a body goes as it is (a gzip header and a round of work for nothing). */
const MIN_BYTES = 1024;

function acceptsGzip(accept: string | null): boolean {
	if (!accept) return false;
	return accept.split(',').some((part) => {
		const [name, ...params] = part.trim().toLowerCase().split(';');
		if (name !== 'gzip' && name !== '*') return false;
		const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
		return q === undefined || Number(q.slice(2)) > 0;
	});
}

export function compressResponse(request: Request, response: Response): Response {
	const type = response.headers.get('content-type') ?? '';
	const length = Number(response.headers.get('content-length') ?? NaN);
	if (
		request.method === 'HEAD' ||
		response.body === null ||
		response.status === 204 ||
		response.status === 304 ||
		!COMPRESSIBLE.test(type) ||
		response.headers.has('content-encoding') ||
		(Number.isFinite(length) && length < MIN_BYTES) ||
		!acceptsGzip(request.headers.get('accept-encoding'))
	) {
		return response;
	}
	const headers = new Headers(response.headers);
	headers.delete('content-length');
	headers.set('content-encoding', 'gzip');
	const vary = headers.get('vary');
	if (!vary) headers.set('vary', 'Accept-Encoding');
	else if (!/accept-encoding/i.test(vary)) headers.set('vary', `${vary}, Accept-Encoding`);
	return new Response(response.body.pipeThrough(new CompressionStream('gzip')), {
		status: response.status,
		statusText: response.statusText,
		headers
	});
}
