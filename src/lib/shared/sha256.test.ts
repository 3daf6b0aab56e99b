import { sha256 as referenceSha256 } from '@oslojs/crypto/sha2';
import { encodeHexLowerCase } from '@oslojs/encoding';
import { describe, expect, it } from 'vitest';
import { sha256, sha256Hex } from './sha256.ts';

describe('sha256', () => {
	it('agrees with the reference implementation, for ASCII and other UTF-8 text', () => {
		for (const text of ['', 'abc', 'session.s3cr3t', 'Zoë’s café 🚲', 'x'.repeat(1000)]) {
			const expected = referenceSha256(new TextEncoder().encode(text));
			expect(Buffer.from(sha256(text)).equals(Buffer.from(expected))).toBe(true);
			expect(sha256Hex(text)).toBe(encodeHexLowerCase(expected));
		}
		expect(sha256Hex('abc')).toBe(
			'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
		);
	});
});
