// Request schemas for accounts, shared by the JSON API and the form actions. Every message is a
// sentence that names its field, so it reads well both under a form input and in an API error.
import { z } from 'zod';
import { EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN } from '../../account-limits.ts';
import { SELF_SERVICE_ROLES, VEHICLES } from '../../order/schema.ts';
import { noInvisibleChars, phoneSchema, requiredString } from './text.ts';

// Control characters in a display name would break logs, mails and the UI.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export const emailSchema = requiredString('Email')
	.trim()
	.toLowerCase()
	.min(1, 'Email is required.')
	.max(EMAIL_MAX, `Email must be at most ${EMAIL_MAX} characters.`)
	.pipe(z.email('Email must be a valid email address, like name@example.com.'));

export const newPasswordSchema = requiredString('Password')
	.min(PASSWORD_MIN, `Password must be at least ${PASSWORD_MIN} characters.`)
	.max(PASSWORD_MAX, `Password must be at most ${PASSWORD_MAX} characters.`);

/** At login any stored password is accepted; the cap only bounds hashing work. */
export const loginPasswordSchema = requiredString('Password')
	.min(1, 'Password is required.')
	.max(PASSWORD_MAX, `Password must be at most ${PASSWORD_MAX} characters.`);

export const nameSchema = requiredString('Name')
	.trim()
	.min(1, 'Name is required.')
	.max(NAME_MAX, `Name must be at most ${NAME_MAX} characters.`)
	.refine((s) => !CONTROL_CHARS.test(s), 'Name must not contain control characters.')
	.check(noInvisibleChars('Name'));

const vehicleSchema = z.enum(VEHICLES, {
	error: () => `Vehicle must be one of: ${VEHICLES.join(', ')}.`
});

const partnerFields = { phone: phoneSchema, vehicle: vehicleSchema };

/** @internal for tests: text.test.ts */
export const partnerProfileSchema = z.object(partnerFields, {
	error: () => 'Partner must be an object with phone and vehicle.'
});

const roleSchema = z.enum(SELF_SERVICE_ROLES, {
	error: () => 'Role must be customer or partner (admin accounts are not self-registered).'
});

/** A new account's role and, for a partner, the delivery details. */
const roleFields = {
	role: roleSchema.default('customer'),
	partner: partnerProfileSchema.optional()
};

/** A partner must give the delivery details (`message` says so when they are missing). */
function partnerRequired(message: string) {
	return (body: { role: string; partner?: unknown }, ctx: z.RefinementCtx) => {
		if (body.role === 'partner' && !body.partner) {
			ctx.addIssue({ code: 'custom', path: ['partner'], message });
		}
	};
}

/** A customer's stray partner profile is dropped rather than stored. */
function dropStrayProfile<T extends { role: string; partner?: unknown }>(
	body: T
): T | Omit<T, 'partner'> {
	if (body.role === 'partner') return body;
	const { partner: _partner, ...rest } = body;
	return rest;
}

export const registerSchema = z
	.object({ email: emailSchema, password: newPasswordSchema, name: nameSchema, ...roleFields })
	.superRefine(
		partnerRequired('Partner is required to register as a partner: give phone and vehicle.')
	)
	.transform(dropStrayProfile);

export type RegisterInput = z.output<typeof registerSchema>;

/**
 * Finishing an account after "Continue with Google": the email comes from the provider and there
 * is no password; customer or partner only (admins are never made this way).
 */
export const googleSignupSchema = z
	.object({ name: nameSchema, ...roleFields })
	.superRefine(partnerRequired('Partner is required to deliver: give phone and vehicle.'))
	.transform(dropStrayProfile);

export const loginSchema = z.object({ email: emailSchema, password: loginPasswordSchema });

export const forgotPasswordSchema = z.object({ email: emailSchema });

const tokenSchema = requiredString('Token')
	.trim()
	.min(1, 'Token is required.')
	.max(200, 'Token is not valid.')
	.regex(/^[a-z2-7]+$/, 'Token is not valid.');

export const verifyEmailSchema = z.object({ token: tokenSchema });

export const resetPasswordSchema = z.object({ token: tokenSchema, password: newPasswordSchema });

export const profileSchema = z.object({ name: nameSchema });

export const partnerUpdateSchema = z.object(partnerFields);
