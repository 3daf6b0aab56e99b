import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressResponse } from './compress.ts';

const page = '<!doctype html><p>' + 'Dispatch '.repeat(400) + '</p>';
const request = (encoding: string | null, method = 'GET') =>
	new Request('http://localhost/', {
		method,
		headers: encoding === null ? {} : { 'accept-encoding': encoding }
	});
const html = (body = page, headers: Record<string, string> = {}) =>
	new Response(body, { headers: { 'content-type': 'text/html; charset=utf-8', ...headers } });

describe('compressResponse', () => {
	it('gzips a page for a client that takes gzip, and says so', async () => {
		const out = compressResponse(request('gzip, deflate, br'), html(page, { vary: 'Cookie' }));
		expect(out.headers.get('content-encoding')).toBe('gzip');
		expect(out.headers.get('vary')).toBe('Cookie, Accept-Encoding');
		expect(out.headers.get('content-length')).toBeNull();
		const bytes = Buffer.from(await out.arrayBuffer());
		expect(bytes.length).toBeLessThan(page.length / 4);
		expect(gunzipSync(bytes).toString()).toBe(page);
	});

	it('passes through what should not be compressed', () => {
		const plain = html();
		expect(compressResponse(request(null), plain)).toBe(plain);
		expect(compressResponse(request('gzip;q=0, br'), plain)).toBe(plain);
		expect(compressResponse(request('gzip', 'HEAD'), plain)).toBe(plain);
		const small = html('<p>hi</p>', { 'content-length': '9' });
		expect(compressResponse(request('gzip'), small)).toBe(small);
		const image = new Response('x'.repeat(4000), { headers: { 'content-type': 'image/png' } });
		expect(compressResponse(request('gzip'), image)).toBe(image);
		const encoded = html(page, { 'content-encoding': 'br' });
		expect(compressResponse(request('gzip'), encoded)).toBe(encoded);
	});
});
