// Characters a person cannot see but a screen, a log or a mail client acts on: format characters
// (Unicode category Cf: the bidi controls U+202A–U+202E and U+2066–U+2069 that reorder what
// follows them, the zero-width U+200B–U+200F, U+2060, U+FEFF, U+061C, U+00AD, the tag
// characters…) and the line and paragraph separators U+2028/U+2029. In a name, an address or a
// phone number they only serve to make one string look like another ("Trojan Source"-style
// spoofing of who placed an order or where it goes), so those fields refuse them. This is the one
// rule; every schema of such a field uses `noInvisibleChars`.
import { z } from 'zod';
import { PHONE_MAX } from '../../account-limits.ts';

const INVISIBLE_CHARS = /[\p{Cf}\p{Zl}\p{Zp}]/u;

/** @internal for tests: text.test.ts */
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

/** Half of a UTF-16 surrogate pair on its own: JSON can carry one, UTF-8 (and so BSON) cannot. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * A string field whose type and presence errors name the field. Lone surrogates are refused here
 * rather than stored as U+FFFD, which would change the text without saying so.
 */
export function requiredString(label: string) {
	return z
		.string({
			error: (issue) =>
				issue.input === undefined || issue.input === null
					? `${label} is required.`
					: `${label} must be a string.`
		})
		.check(
			z.refine(
				(value) => !LONE_SURROGATE.test(value),
				`${label} must be valid text (it holds half of a character pair).`
			)
		);
}

/** A phone number: 7 to 15 digits, with the spaces, dashes, brackets and leading + people type. */
export const phoneSchema = requiredString('Phone')
	.trim()
	.min(1, 'Phone is required.')
	.max(PHONE_MAX, `Phone must be at most ${PHONE_MAX} characters.`)
	.check(noInvisibleChars('Phone'))
	.refine(
		(s) => /^\+?[0-9][0-9 ()-]*$/.test(s) && /^\d{7,15}$/.test(s.replace(/\D/g, '')),
		'Phone must have 7 to 15 digits (spaces, dashes, brackets and a leading + are fine).'
	);
