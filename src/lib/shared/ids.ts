import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

/** A random id with 120 bits of entropy, URL- and document-name-safe (a–z, 2–7). */
export function randomId(bytes = 15): string {
	const buf = new Uint8Array(bytes);
	crypto.getRandomValues(buf);
	return encodeBase32LowerCaseNoPadding(buf);
}
