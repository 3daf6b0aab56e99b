import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly field?: string
	) {
		super(message);
		this.name = 'HttpError';
	}
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(text),
		'cache-control': 'no-store'
	});
	res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
	const body: { code: string; message: string; field?: string } = {
		code: error.code,
		message: error.message
	};
	if (error.field !== undefined) body.field = error.field;
	sendJson(res, error.status, { error: body });
}

/** Reads a JSON body of at most `limit` bytes; 413 when larger, 400 when not JSON. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
	const type = req.headers['content-type'] ?? '';
	if (!/^application\/json\b/i.test(type)) {
		throw new HttpError(415, 'unsupported_media_type', 'body must be application/json');
	}
	const declared = Number(req.headers['content-length'] ?? NaN);
	if (Number.isFinite(declared) && declared > limit) {
		throw new HttpError(413, 'payload_too_large', `body larger than ${limit} bytes`);
	}
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > limit)
			throw new HttpError(413, 'payload_too_large', `body larger than ${limit} bytes`);
		chunks.push(chunk);
	}
	try {
		return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
	} catch {
		throw new HttpError(400, 'invalid_json', 'body is not valid JSON');
	}
}

/** The first capture of `pattern` in the request's path, or null when the path does not match. */
export function matchPath(request: IncomingMessage, pattern: RegExp): string | null {
	const path = new URL(request.url ?? '/', 'http://localhost').pathname;
	return pattern.exec(path)?.[1] ?? null;
}
