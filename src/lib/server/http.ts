// JSON API helpers shared by every `+server.ts` route. Errors always have the shape
// `{error: {code, message, field?}}`; bad input is a 400 that names the first bad field.
//
// Routes may either return `apiError(...)` or throw an `ApiError` (directly, or through
// `readJsonBody`, `requireUser`, ...): hooks.server.ts turns a thrown ApiError into the same
// JSON response, so a guard deep in a call chain never turns into a 500.
import type { z } from 'zod';

interface ApiErrorBody {
	error: { code: string; message: string; field?: string };
}

export class ApiError extends Error {
	constructor(
		public readonly status: number,
		public readonly code: string,
		message: string,
		public readonly field?: string,
		/** Extra response headers, e.g. Retry-After on a 429. */
		public readonly headers: Record<string, string> = {}
	) {
		super(message);
		this.name = 'ApiError';
	}

	toResponse(): Response {
		return apiError(this.status, this.code, this.message, this.field, this.headers);
	}
}

export function apiError(
	status: number,
	code: string,
	message: string,
	field?: string,
	headers: Record<string, string> = {}
): Response {
	const body: ApiErrorBody = { error: field ? { code, message, field } : { code, message } };
	return new Response(JSON.stringify(body), {
		status,
		headers: {
			'content-type': 'application/json',
			'cache-control': 'no-store',
			...headers
		}
	});
}

/** The `code` for an error answered by SvelteKit or the adapter rather than by our own code. */
export function errorCodeForStatus(status: number): string {
	const codes: Record<number, string> = {
		400: 'bad_request',
		401: 'unauthenticated',
		403: 'forbidden',
		404: 'not_found',
		405: 'method_not_allowed',
		413: 'body_too_large',
		415: 'unsupported_content_type',
		429: 'rate_limited',
		503: 'unavailable'
	};
	return codes[status] ?? (status >= 500 ? 'internal' : 'bad_request');
}

/** A JSON response; `cache-control: no-store` because API answers are per user. */
export function apiJson(
	data: unknown,
	init: { status?: number; headers?: Record<string, string> } = {}
) {
	return new Response(JSON.stringify(data), {
		status: init.status ?? 200,
		headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...init.headers }
	});
}

/** Dotted path of a schema issue (`partner.phone`, `items.0.quantity`), or undefined at the root. */
function issuePath(path: readonly PropertyKey[]): string | undefined {
	return path.length ? path.map(String).join('.') : undefined;
}

/** The first issue of a failed parse as a 400 ApiError naming the field. */
export function validationError(error: z.ZodError): ApiError {
	const issue = error.issues[0];
	const field = issue ? issuePath(issue.path) : undefined;
	// Schema messages are written as sentences that name the field (see validation/).
	return new ApiError(
		400,
		'invalid_input',
		issue?.message ?? 'The request body is invalid.',
		field
	);
}

/** Every field's first problem, for forms that show errors next to each input. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
	const out: Record<string, string> = {};
	for (const issue of error.issues) {
		const key = issuePath(issue.path) ?? '_form';
		out[key] ??= issue.message;
	}
	return out;
}

/**
 * Largest request body any API route accepts; auth and order bodies are tiny. `handle` refuses a
 * larger declared Content-Length before anything is read, and `readBodyText` stops reading a
 * chunked body as soon as it passes this.
 */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

export function bodyTooLarge(limit = MAX_JSON_BODY_BYTES): ApiError {
	return new ApiError(413, 'body_too_large', `The request body is larger than ${limit} bytes.`);
}

/**
 * How much of an oversized body is read and thrown away after the 413 (see `discardRest`).
 * @internal for tests: http.test.ts
 */
export const DISCARD_MAX_BYTES = 1024 * 1024;

/**
 * Reads the rest of a refused body in the background and throws it away, up to
 * DISCARD_MAX_BYTES (adapter-node's BODY_SIZE_LIMIT ends it sooner), so that a client still
 * sending can finish and read the 413: closing or resetting the connection instead could lose
 * the answer (`EPIPE` in the client). Past the cap the stream is cancelled, which drops the
 * connection.
 */
export function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): void {
	void (async () => {
		let discarded = 0;
		try {
			for (;;) {
				const { done, value } = await reader.read();
				if (done) return;
				discarded += value.byteLength;
				if (discarded > DISCARD_MAX_BYTES) {
					await reader.cancel();
					return;
				}
			}
		} catch {
			/* the adapter's own limit, or the client went away: nothing left to do */
		}
	})();
}

/** SvelteKit's own "Payload Too Large" (adapter-node's BODY_SIZE_LIMIT), met while reading. */
function isPayloadTooLarge(error: unknown): boolean {
	return (
		typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 413
	);
}

/**
 * The request body as text, read at most `limit` bytes far: a 413 ApiError beyond that (whether
 * the body declared its length or came chunked), a 400 when it cannot be read. The rest of an
 * oversized body is thrown away in the background (`discardRest`).
 * @internal for tests: http.test.ts (routes read bodies through `readJsonBody`)
 */
export async function readBodyText(request: Request, limit = MAX_JSON_BODY_BYTES): Promise<string> {
	if (!request.body) return '';
	const reader = request.body.getReader();
	const declared = Number(request.headers.get('content-length'));
	if (Number.isFinite(declared) && declared > limit) {
		discardRest(reader);
		throw bodyTooLarge(limit);
	}
	const chunks: Uint8Array[] = [];
	let size = 0;
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			size += value.byteLength;
			if (size > limit) {
				discardRest(reader);
				throw bodyTooLarge(limit);
			}
			chunks.push(value);
		}
	} catch (error) {
		if (error instanceof ApiError) throw error;
		if (isPayloadTooLarge(error)) throw bodyTooLarge(limit);
		throw new ApiError(400, 'invalid_json', 'The request body could not be read.');
	}
	return new TextDecoder().decode(Buffer.concat(chunks));
}

/** Is this Content-Type JSON (`application/json`, `application/*+json`, with parameters)? */
export function isJsonContentType(type: string | null): boolean {
	return /^application\/([\w.+-]+\+)?json\b/i.test((type ?? '').trim());
}

const notJson = () =>
	new ApiError(
		415,
		'unsupported_content_type',
		'Send the body as JSON with the header Content-Type: application/json'
	);

/**
 * Reads and validates a JSON request body. Throws an ApiError: 415 for a content type other than
 * JSON, 413 for a body over MAX_JSON_BODY_BYTES, 400 for malformed JSON or a schema failure
 * (naming the first bad field and why). With `optional`, an empty body (of any type) is `{}`.
 */
export async function readJsonBody<S extends z.ZodType>(
	request: Request,
	schema: S,
	options: { optional?: boolean } = {}
): Promise<z.output<S>> {
	const json = isJsonContentType(request.headers.get('content-type'));
	if (!json && !options.optional) throw notJson();
	const text = await readBodyText(request);
	if (options.optional && text.trim() === '') {
		const empty = schema.safeParse({});
		if (!empty.success) throw validationError(empty.error);
		return empty.data;
	}
	if (!json) throw notJson();
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch {
		throw new ApiError(400, 'invalid_json', 'The request body is not valid JSON');
	}
	if (typeof data !== 'object' || data === null || Array.isArray(data)) {
		throw new ApiError(400, 'invalid_json', 'The request body must be a JSON object');
	}
	const result = schema.safeParse(data);
	if (!result.success) throw validationError(result.error);
	return result.data;
}
