// Request schemas for accounts, shared by the JSON API and the form actions. Every message is a
// sentence that names its field, so it reads well both under a form input and in an API error.
import { z } from 'zod';
import { noInvisibleChars } from './text.ts';

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;
export const NAME_MAX = 100;
export const EMAIL_MAX = 254;
export const VEHICLES = ['bicycle', 'motorbike', 'car', 'van'] as const;
export const SELF_SERVICE_ROLES = ['customer', 'partner'] as const;

/** A string field whose type and presence errors name the field. */
function requiredString(label: string) {
	return z.string({
		error: (issue) =>
			issue.input === undefined || issue.input === null
				? `${label} is required.`
				: `${label} must be a string.`
	});
}

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

export const phoneSchema = requiredString('Phone')
	.trim()
	.min(1, 'Phone is required.')
	.max(25, 'Phone must be at most 25 characters.')
	.check(noInvisibleChars('Phone'))
	.refine(
		(s) => /^\+?[0-9][0-9 ()-]*$/.test(s) && /^\d{7,15}$/.test(s.replace(/\D/g, '')),
		'Phone must be a phone number with 7 to 15 digits (spaces, dashes, brackets and a leading + are fine).'
	);

export const vehicleSchema = z.enum(VEHICLES, {
	error: () => `Vehicle must be one of: ${VEHICLES.join(', ')}.`
});

export const partnerProfileSchema = z.object(
	{ phone: phoneSchema, vehicle: vehicleSchema },
	{ error: () => 'Partner must be an object with phone and vehicle.' }
);

export const roleSchema = z.enum(SELF_SERVICE_ROLES, {
	error: () => 'Role must be customer or partner (admin accounts are not self-registered).'
});

export const registerSchema = z
	.object({
		email: emailSchema,
		password: newPasswordSchema,
		name: nameSchema,
		role: roleSchema.default('customer'),
		partner: partnerProfileSchema.optional()
	})
	.superRefine((body, ctx) => {
		if (body.role === 'partner' && !body.partner) {
			ctx.addIssue({
				code: 'custom',
				path: ['partner'],
				message: 'Partner is required to register as a partner: give phone and vehicle.'
			});
		}
	})
	// A customer's stray partner profile is dropped rather than stored.
	.transform(({ partner, ...rest }) => (rest.role === 'partner' ? { ...rest, partner } : rest));

export type RegisterInput = z.output<typeof registerSchema>;

/**
 * Finishing an account after "Continue with Google": the email comes from the provider and there
 * is no password; customer or partner only (admins are never made this way).
 */
export const googleSignupSchema = z
	.object({
		name: nameSchema,
		role: roleSchema.default('customer'),
		partner: partnerProfileSchema.optional()
	})
	.superRefine((body, ctx) => {
		if (body.role === 'partner' && !body.partner) {
			ctx.addIssue({
				code: 'custom',
				path: ['partner'],
				message: 'Partner is required to deliver: give phone and vehicle.'
			});
		}
	})
	.transform(({ partner, ...rest }) => (rest.role === 'partner' ? { ...rest, partner } : rest));

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

export const partnerUpdateSchema = z.object({ phone: phoneSchema, vehicle: vehicleSchema });
