import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addressSchema, createOrderSchema } from '../orders/schemas.ts';
import { nameSchema, partnerProfileSchema, registerSchema } from './auth.ts';
import { phoneSchema } from './text.ts';
import { hasInvisibleChars, noInvisibleChars } from './text.ts';

// Each as an escape, so this file shows which one is tested.
const INVISIBLE = [
	'\u202A', // LRE
	'\u202B', // RLE
	'\u202C', // PDF
	'\u202D', // LRO
	'\u202E', // RLO
	'\u2066', // LRI
	'\u2067', // RLI
	'\u2068', // FSI
	'\u2069', // PDI
	'\u200B', // zero-width space
	'\u200C', // ZWNJ
	'\u200D', // ZWJ
	'\u200E', // LRM
	'\u200F', // RLM
	'\u061C', // Arabic letter mark
	'\uFEFF', // zero-width no-break space (BOM)
	'\u2060', // word joiner
	'\u2061', // function application (another Cf)
	'\u00AD', // soft hyphen
	'\u{E0041}', // tag letter A
	'\u2028', // line separator
	'\u2029' // paragraph separator
];

const hex = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

describe('noInvisibleChars', () => {
	const street = z.string().check(noInvisibleChars('Street'));

	it.each(INVISIBLE.map((ch) => [hex(ch), ch]))('refuses %s inside a value', (_, ch) => {
		expect(hasInvisibleChars(`Main${ch}Street`)).toBe(true);
		const result = street.safeParse(`12 Main${ch} Street`);
		expect(result.success).toBe(false);
		expect(result.error!.issues[0]!.message).toMatch(/^Street must not contain invisible/);
	});

	it('accepts ordinary text in any script, accents, emoji and spaces', () => {
		for (const value of [
			'Ada Lovelace',
			'Zoë Ørsted-Łukasiewicz',
			'محمد الأحمد',
			'שרה כהן',
			'山田 太郎',
			'Flat 2/B, 12 Baker St.',
			'Ring twice 🔔',
			'Line one\nline two\ttabbed'
		]) {
			expect(hasInvisibleChars(value), value).toBe(false);
			expect(street.safeParse(value).success, value).toBe(true);
		}
	});
});

describe('the fields that use it', () => {
	const RLO = '\u202E';
	const ZWSP = '\u200B';
	const firstIssue = (schema: z.ZodType, input: unknown) => {
		const result = schema.safeParse(input);
		return result.success ? undefined : result.error.issues[0];
	};

	it('names: registration, profile and admin names share nameSchema', () => {
		expect(firstIssue(nameSchema, `Sam${RLO}gnp.exe`)?.message).toMatch(/^Name must not/);
		const issue = firstIssue(registerSchema, {
			email: 'sam@example.com',
			password: 'long enough password',
			name: `Sam${ZWSP}`.padEnd(6, 'x')
		});
		expect(issue?.path).toEqual(['name']);
	});

	it('phones: partner profile and order phone', () => {
		expect(firstIssue(phoneSchema, `+44 20${ZWSP} 7946 0000`)?.message).toMatch(
			/^Phone must not contain invisible/
		);
		expect(
			firstIssue(partnerProfileSchema, { phone: `+44${RLO}2079460000`, vehicle: 'car' })?.path
		).toEqual(['phone']);
	});

	it.each(['street', 'city', 'postcode', 'notes'])('address.%s', (field) => {
		const address = { street: '1 Main St', city: 'Springfield', postcode: '12345', notes: 'Hi' };
		const issue = firstIssue(addressSchema, { ...address, [field]: `ab${RLO}cd` });
		expect(issue?.path).toEqual([field]);
		expect(issue?.message).toMatch(/must not contain invisible or text-direction characters/);
	});

	it('order phone at order creation', () => {
		const issue = firstIssue(createOrderSchema, {
			items: [{ productId: 'margherita', quantity: 1 }],
			address: { street: '1 Main St', city: 'Springfield', postcode: '12345' },
			phone: `+1 555${ZWSP} 010 0100`,
			paymentMethod: 'cod'
		});
		expect(issue?.path).toEqual(['phone']);
		expect(issue?.message).toMatch(/^Phone must not contain invisible/);
	});
});

describe('lone surrogates', () => {
	it('are refused with the field named, not stored as U+FFFD', () => {
		const result = createOrderSchema.safeParse({
			items: [{ productId: 'margherita', quantity: 1 }],
			address: { street: '1 Main St', city: '\ud800x', postcode: '12345' },
			phone: '+1 555 010 0100',
			paymentMethod: 'cod'
		});
		const issue = result.error?.issues[0];
		expect(issue?.path).toEqual(['address', 'city']);
		expect(issue?.message).toBe('City must be valid text (it holds half of a character pair).');
		// a pair is a character like any other
		expect(nameSchema.safeParse('Ana 😀').success).toBe(true);
	});
});
