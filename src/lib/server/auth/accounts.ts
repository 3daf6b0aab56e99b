// User accounts: creation, password authentication, profile updates and the boot-time admin.
// Emails are stored trimmed and lower-cased; the unique index on `users.email` is what makes
// duplicates impossible (no check-then-insert race).
import type { Role, Vehicle } from '../../order/schema.ts';
import { isDuplicateKeyError, type Collections, type UserDoc } from '../../shared/db.ts';
import { ApiError } from '../http.ts';
import { randomId } from '../../shared/ids.ts';
import type { Logger } from '../../shared/log.ts';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password.ts';

export interface NewUser {
	email: string;
	password: string;
	name: string;
	role: Role;
	partner?: { phone: string; vehicle: Vehicle };
}

export function normalizeEmail(email: string): string {
	return email.trim().toLowerCase();
}

function emailTakenError(): ApiError {
	return new ApiError(409, 'email_taken', 'An account with this email already exists.', 'email');
}

/**
 * Creates a user. Throws ApiError 409 `email_taken` when the email (in any letter case) is in use.
 * Input is trusted to be validated (API/form schemas, seed data, the admin CLI).
 */
export async function createUser(
	c: Collections,
	input: NewUser,
	options: { emailVerified?: boolean; now?: Date } = {}
): Promise<UserDoc> {
	const now = options.now ?? new Date();
	return insertUser(
		c,
		{
			...input,
			email: normalizeEmail(input.email),
			passwordHash: await hashPassword(input.password),
			emailVerifiedAt: options.emailVerified ? now : null
		},
		now
	);
}

/**
 * Inserts a new account (a partner's starts unavailable). Throws ApiError 409 `email_taken` when
 * the email is in use; `email` is normalized already.
 */
export async function insertUser(
	c: Collections,
	account: Omit<NewUser, 'password'> & {
		passwordHash: string | null;
		emailVerifiedAt: Date | null;
	},
	now: Date
): Promise<UserDoc> {
	const { partner, ...fields } = account;
	if (fields.role === 'partner' && !partner) throw new Error('a partner needs a profile');
	const user: UserDoc = {
		_id: randomId(),
		...fields,
		name: fields.name.trim(),
		...(fields.role === 'partner' && partner
			? { partner: { phone: partner.phone, vehicle: partner.vehicle, available: false } }
			: {}),
		createdAt: now,
		updatedAt: now
	};
	try {
		await c.users.insertOne(user);
	} catch (err) {
		if (isDuplicateKeyError(err)) throw emailTakenError();
		throw err;
	}
	return user;
}

/**
 * The user for this email and password, or null. An unknown email costs one dummy argon2
 * verification, so both failures take about the same time.
 */
export async function authenticate(
	c: Collections,
	email: string,
	password: string
): Promise<UserDoc | null> {
	const user = await c.users.findOne({ email: normalizeEmail(email) });
	if (!user) return verifyAgainstDummy(password).then(() => null);
	return (await verifyPassword(user.passwordHash, password)) ? user : null;
}

export async function setPassword(c: Collections, userId: string, password: string): Promise<void> {
	await c.users.updateOne(
		{ _id: userId },
		{ $set: { passwordHash: await hashPassword(password), updatedAt: new Date() } }
	);
}

export async function updateName(c: Collections, userId: string, name: string): Promise<void> {
	await c.users.updateOne({ _id: userId }, { $set: { name: name.trim(), updatedAt: new Date() } });
}

/** Updates a partner's contact details; keeps their availability. */
export async function updatePartnerProfile(
	c: Collections,
	userId: string,
	profile: { phone: string; vehicle: Vehicle }
): Promise<void> {
	await c.users.updateOne(
		{ _id: userId, role: 'partner' },
		{
			$set: {
				'partner.phone': profile.phone,
				'partner.vehicle': profile.vehicle,
				updatedAt: new Date()
			}
		}
	);
}

export type EnsureAdminOutcome = 'created' | 'exists' | 'role-conflict';

/**
 * Makes sure an admin with this email exists (ADMIN_EMAIL/ADMIN_PASSWORD at boot). An existing
 * account is never changed: its password is not silently overwritten, and a non-admin account
 * with that email is reported, not promoted.
 */
export async function ensureAdmin(
	c: Collections,
	admin: { email: string; password: string; name?: string },
	log?: Logger
): Promise<EnsureAdminOutcome> {
	const email = normalizeEmail(admin.email);
	const existing = await c.users.findOne({ email });
	if (existing) {
		if (existing.role === 'admin') return 'exists';
		log?.error(
			{ email, role: existing.role },
			'ADMIN_EMAIL belongs to an existing non-admin account; it was left unchanged'
		);
		return 'role-conflict';
	}
	try {
		await createUser(
			c,
			{ email, password: admin.password, name: admin.name ?? 'Administrator', role: 'admin' },
			{ emailVerified: true }
		);
	} catch (err) {
		// Another process booting at the same moment created it first.
		if (err instanceof ApiError && err.code === 'email_taken') return ensureAdmin(c, admin, log);
		throw err;
	}
	log?.info({ email }, 'admin account created from ADMIN_EMAIL');
	return 'created';
}
