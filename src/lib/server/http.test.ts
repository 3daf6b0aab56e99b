import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError, apiError, readJsonBody } from './http.ts';

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
		['malformed JSON', post('{"name":'), 'invalid_json'],
		['an empty body', post(''), 'invalid_json'],
		['a JSON array', post('[]'), 'invalid_json'],
		['a JSON string', post('"hi"'), 'invalid_json'],
		[
			'a form content type',
			post('name=a', 'application/x-www-form-urlencoded'),
			'unsupported_content_type'
		],
		[
			'no content type',
			new Request('http://x.test', { method: 'POST', body: '{}' }),
			'unsupported_content_type'
		],
		['a huge body', post(JSON.stringify({ name: 'x'.repeat(70_000) })), 'body_too_large']
	])('refuses %s with a 400', async (_label, request, code) => {
		const err = await failure(request);
		expect([err.status, err.code]).toEqual([400, code]);
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
