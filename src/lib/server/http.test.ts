import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
	ApiError,
	apiError,
	DISCARD_MAX_BYTES,
	MAX_JSON_BODY_BYTES,
	readBodyText,
	readJsonBody
} from './http.ts';

const schema = z.object({
	name: z.string('Name must be a string.'),
	nested: z.object({ count: z.number('Count must be a number.') })
});

const post = (body: string, type = 'application/json') =>
	new Request('http://x.test/api', { method: 'POST', body, headers: { 'content-type': type } });

async function failure(request: Request): Promise<ApiError> {
	try {
		await readJsonBody(request, schema);
	} catch (err) {
		if (err instanceof ApiError) return err;
		throw err;
	}
	throw new Error('expected an ApiError');
}

describe('readJsonBody', () => {
	it('returns the parsed body', async () => {
		const body = { name: 'a', nested: { count: 1 } };
		expect(await readJsonBody(post(JSON.stringify(body)), schema)).toEqual(body);
		expect(
			await readJsonBody(post(JSON.stringify(body), 'application/json; charset=utf-8'), schema)
		).toEqual(body);
	});

	it('names the first bad field with a dotted path', async () => {
		const err = await failure(post(JSON.stringify({ name: 'a', nested: { count: 'x' } })));
		expect([err.status, err.code, err.field, err.message]).toEqual([
			400,
			'invalid_input',
			'nested.count',
			'Count must be a number.'
		]);
	});

	it.each([
		['malformed JSON', post('{"name":'), 400, 'invalid_json'],
		['an empty body', post(''), 400, 'invalid_json'],
		['a JSON array', post('[]'), 400, 'invalid_json'],
		['a JSON string', post('"hi"'), 400, 'invalid_json'],
		[
			'a form content type',
			post('name=a', 'application/x-www-form-urlencoded'),
			415,
			'unsupported_content_type'
		],
		[
			'no content type',
			new Request('http://x.test', { method: 'POST', body: '{}' }),
			415,
			'unsupported_content_type'
		],
		['a huge body', post(JSON.stringify({ name: 'x'.repeat(70_000) })), 413, 'body_too_large']
	])('refuses %s with a %i', async (_label, request, status, code) => {
		const err = await failure(request);
		expect([err.status, err.code]).toEqual([status, code]);
	});

	it('with an optional body: empty is {} whatever its type; a body sent must be a JSON object', async () => {
		const optional = z.object({ reason: z.string().optional() });
		const read = (request: Request) => readJsonBody(request, optional, { optional: true });
		expect(await read(post('', 'text/plain'))).toEqual({});
		expect(await read(new Request('http://x.test', { method: 'POST' }))).toEqual({});
		expect(await read(post('{"reason":"late"}'))).toEqual({ reason: 'late' });
		const refused = async (request: Request) => {
			const err = await read(request).catch((error: unknown) => error);
			return [(err as ApiError).status, (err as ApiError).code];
		};
		expect(await refused(post('{"reason":"via xml"}', 'application/xml'))).toEqual([
			415,
			'unsupported_content_type'
		]);
		expect(await refused(post('[]'))).toEqual([400, 'invalid_json']);
	});

	it('refuses a chunked body as soon as it passes the limit; throws a bounded rest away', async () => {
		let pulled = 0;
		const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
		const endless = new ReadableStream<Uint8Array>({
			pull(controller) {
				pulled += 1;
				controller.enqueue(chunk);
			}
		});
		const request = new Request('http://x.test/api', {
			method: 'POST',
			body: endless,
			headers: { 'content-type': 'application/json' },
			duplex: 'half'
		} as RequestInit);
		const err = await failure(request);
		expect([err.status, err.code]).toEqual([413, 'body_too_large']);
		// the rest is read and dropped in the background, up to DISCARD_MAX_BYTES, then cancelled
		const most = (MAX_JSON_BODY_BYTES + DISCARD_MAX_BYTES) / chunk.byteLength + 3;
		await vi.waitFor(() => expect(pulled).toBeGreaterThan(most - 5));
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(pulled).toBeLessThan(most);
	});

	it('accepts a body at the limit and refuses one byte more', async () => {
		const text = await readBodyText(
			new Request('http://x.test/api', { method: 'POST', body: 'x'.repeat(10) }),
			10
		);
		expect(text).toBe('x'.repeat(10));
		await expect(
			readBodyText(new Request('http://x.test/api', { method: 'POST', body: 'x'.repeat(11) }), 10)
		).rejects.toMatchObject({ status: 413, code: 'body_too_large' });
	});
});

describe('apiError', () => {
	it('builds the error shape, with the field only when given', async () => {
		expect(await apiError(409, 'email_taken', 'Taken.', 'email').json()).toEqual({
			error: { code: 'email_taken', message: 'Taken.', field: 'email' }
		});
		const res = apiError(429, 'rate_limited', 'Slow down.', undefined, { 'retry-after': '60' });
		expect(res.headers.get('retry-after')).toBe('60');
		expect(res.headers.get('content-type')).toBe('application/json');
		expect(await res.json()).toEqual({ error: { code: 'rate_limited', message: 'Slow down.' } });
	});
});
