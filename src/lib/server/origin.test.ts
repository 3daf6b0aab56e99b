import { describe, expect, it } from 'vitest';
import { crossSiteRefusal } from './origin.ts';

const OWN = ['https://shop.example.com'];

function request(method: string, headers: Record<string, string> = {}): Request {
	return new Request('https://shop.example.com/api/orders/abc/cancel', { method, headers });
}

describe('crossSiteRefusal', () => {
	it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('refuses a foreign Origin on %s', (method) => {
		expect(crossSiteRefusal(request(method, { origin: 'https://evil.example' }), OWN)).toMatch(
			/evil\.example/
		);
	});

	it('refuses a sibling subdomain, another scheme or port, and the opaque origin "null"', () => {
		for (const origin of [
			'https://api.shop.example.com',
			'http://shop.example.com',
			'https://shop.example.com:8443',
			'null'
		]) {
			expect(crossSiteRefusal(request('POST', { origin }), OWN), origin).not.toBeNull();
		}
	});

	it('refuses Sec-Fetch-Site: cross-site even without an Origin', () => {
		expect(crossSiteRefusal(request('POST', { 'sec-fetch-site': 'cross-site' }), OWN)).not.toBe(
			null
		);
	});

	it('allows the own origin, same-origin fetches and requests without an Origin', () => {
		expect(crossSiteRefusal(request('POST', { origin: OWN[0]! }), OWN)).toBeNull();
		expect(
			crossSiteRefusal(request('POST', { origin: OWN[0]!, 'sec-fetch-site': 'same-origin' }), OWN)
		).toBeNull();
		expect(crossSiteRefusal(request('POST'), OWN)).toBeNull();
		expect(
			crossSiteRefusal(request('POST', { 'content-type': 'application/json' }), OWN)
		).toBeNull();
	});

	it('needs an Origin for form content types, as SvelteKit did', () => {
		for (const type of [
			'application/x-www-form-urlencoded',
			'multipart/form-data; boundary=x',
			'text/plain;charset=UTF-8'
		]) {
			expect(crossSiteRefusal(request('POST', { 'content-type': type }), OWN), type).not.toBe(null);
			expect(
				crossSiteRefusal(request('POST', { 'content-type': type, origin: OWN[0]! }), OWN)
			).toBeNull();
		}
	});

	it('tells an API client with a form content type to send JSON', () => {
		const curlDefault = { 'content-type': 'application/x-www-form-urlencoded' };
		expect(crossSiteRefusal(request('POST', curlDefault), OWN)).toMatch(
			/Content-Type: application\/json/
		);
		const page = new Request('https://shop.example.com/partner?/claim', {
			method: 'POST',
			headers: curlDefault
		});
		expect(crossSiteRefusal(page, OWN)).toBe('A form submission must come from this site.');
	});

	it('leaves reads alone', () => {
		for (const method of ['GET', 'HEAD', 'OPTIONS']) {
			expect(
				crossSiteRefusal(
					request(method, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }),
					OWN
				)
			).toBeNull();
		}
	});
});
