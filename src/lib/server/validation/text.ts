// Characters a person cannot see but a screen, a log or a mail client acts on: format characters
// (Unicode category Cf: the bidi controls U+202A–U+202E and U+2066–U+2069 that reorder what
// follows them, the zero-width U+200B–U+200F, U+2060, U+FEFF, U+061C, U+00AD, the tag
// characters…) and the line and paragraph separators U+2028/U+2029. In a name, an address or a
// phone number they only serve to make one string look like another ("Trojan Source"-style
// spoofing of who placed an order or where it goes), so those fields refuse them. This is the one
// rule; every schema of such a field uses `noInvisibleChars`.
import { z } from 'zod';

export const INVISIBLE_CHARS = /[\p{Cf}\p{Zl}\p{Zp}]/u;

export function hasInvisibleChars(value: string): boolean {
	return INVISIBLE_CHARS.test(value);
}

/**
 * A zod check for a string field: `schema.check(noInvisibleChars('Street'))`. The message names
 * the field, so it reads well under a form input and as an API error (which also gives `field`).
 */
export function noInvisibleChars(label: string) {
	return z.refine<string>(
		(value) => !hasInvisibleChars(value),
		`${label} must not contain invisible or text-direction characters (such as zero-width spaces or bidi controls).`
	);
}
