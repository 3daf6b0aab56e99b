// JSON API helpers shared by every `+server.ts` route. Errors always have the shape
// `{error: {code, message, field?}}`; bad input is a 400 that names the first bad field.
//
// Routes may either return `apiError(...)` or throw an `ApiError` (directly, or through
// `readJsonBody`, `requireUser`, ...): hooks.server.ts turns a thrown ApiError into the same
// JSON response, so a guard deep in a call chain never turns into a 500.
import type { z } from 'zod';

export interface ApiErrorBody {
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
export function issuePath(path: readonly PropertyKey[]): string | undefined {
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

/** Largest JSON body we accept; auth and order bodies are tiny. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * Reads and validates a JSON request body. Throws a 400 ApiError for a wrong content type,
 * malformed or oversized JSON, or a schema failure (naming the first bad field and why).
 */
export async function readJsonBody<S extends z.ZodType>(
	request: Request,
	schema: S
): Promise<z.output<S>> {
	const type = request.headers.get('content-type') ?? '';
	if (!/^application\/([\w.+-]+\+)?json\b/i.test(type.trim())) {
		throw new ApiError(
			400,
			'unsupported_content_type',
			'Send the body as JSON with the header Content-Type: application/json'
		);
	}
	let text: string;
	try {
		text = await request.text();
	} catch {
		throw new ApiError(400, 'invalid_json', 'The request body could not be read');
	}
	if (text.length > MAX_JSON_BODY_BYTES) {
		throw new ApiError(
			400,
			'body_too_large',
			`The request body is larger than ${MAX_JSON_BODY_BYTES} bytes`
		);
	}
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
