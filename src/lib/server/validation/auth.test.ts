import { describe, expect, it } from 'vitest';
import { registerSchema } from './auth.ts';

const valid = { email: 'Someone@Example.COM ', password: 'long enough password', name: ' Sam ' };

function firstField(input: unknown): string | undefined {
	const result = registerSchema.safeParse(input);
	return result.success ? undefined : result.error.issues[0]?.path.join('.');
}

describe('registerSchema', () => {
	it('normalizes email and name and defaults the role', () => {
		expect(registerSchema.parse(valid)).toEqual({
			email: 'someone@example.com',
			password: 'long enough password',
			name: 'Sam',
			role: 'customer'
		});
	});

	it('keeps the partner profile for partners only', () => {
		const partner = { phone: '+1 555 010 9999', vehicle: 'bicycle' };
		const asPartner = registerSchema.parse({ ...valid, role: 'partner', partner });
		expect('partner' in asPartner ? asPartner.partner : null).toEqual(partner);
		expect('partner' in registerSchema.parse({ ...valid, partner })).toBe(false);
	});

	it.each([
		[{ ...valid, role: 'admin' }, 'role'],
		[{ ...valid, role: 'partner' }, 'partner'],
		[{ ...valid, role: 'partner', partner: { phone: '555', vehicle: 'car' } }, 'partner.phone'],
		[
			{ ...valid, role: 'partner', partner: { phone: '5550109999', vehicle: 'jet' } },
			'partner.vehicle'
		],
		[{ ...valid, password: 'x'.repeat(9) }, 'password'],
		[{ ...valid, name: 'bell\u0007' }, 'name']
	])('rejects %j on %s', (input, field) => {
		expect(firstField(input)).toBe(field);
	});

	it('accepts passwords from 10 to 256 characters', () => {
		expect(firstField({ ...valid, password: 'x'.repeat(10) })).toBeUndefined();
		expect(firstField({ ...valid, password: 'x'.repeat(256) })).toBeUndefined();
		expect(firstField({ ...valid, password: 'x'.repeat(257) })).toBe('password');
	});
});
