// Who a verified Google identity is in Dispatch (the rules are in the README, "Sign in with
// Google"):
// - an identity already linked signs its user in (never an admin);
// - a new identity with a verified email nobody uses waits as a pending signup until the person
//   chooses customer or partner (a partner also gives phone and vehicle) — never admin;
// - a new identity whose verified email belongs to a password account waits as a pending link
//   until that account's password is given (rate-limited like a login): an email alone, which
//   whoever runs an OpenID provider can claim, never opens an account;
// - an unverified email opens nothing and links nothing;
// - a signed-in user links Google from the account page after giving their password.
// The decisions are unique inserts: the identity's `_id` (one user per identity), the unique
// (userId, provider) index (one Google identity per user) and the unique email of `users`.
import {
	isDuplicateKeyError,
	type Collections,
	type OidcFlowDoc,
	type OidcPendingDoc,
	type UserDoc,
	type UserIdentityDoc
} from '../../shared/db.ts';
import type { SelfServiceRole, Vehicle } from '../../order/schema.ts';
import { randomId } from '../../shared/ids.ts';
import { sha256Hex } from '../../shared/sha256.ts';
import { insertUser, normalizeEmail } from './accounts.ts';
import { GoogleSignInError, type GoogleIdentity } from './google.ts';
import type { CookieJar } from './cookie.ts';

export const PENDING_COOKIE = 'dispatch_oidc_pending';
const PENDING_TTL_MS = 15 * 60 * 1000;

export type GoogleOutcome =
	| { kind: 'signed-in'; user: UserDoc }
	| { kind: 'linked'; user: UserDoc }
	| { kind: 'pending'; pending: 'signup' | 'link'; token: string };

const identityId = (issuer: string, subject: string) => `${issuer} ${subject}`;

/** What a verified identity means here; see the module comment. Throws GoogleSignInError. */
export async function resolveGoogleIdentity(
	c: Collections,
	identity: GoogleIdentity,
	flow: Pick<OidcFlowDoc, 'next' | 'role' | 'linkUserId'>,
	signedInUserId: string | null,
	now = new Date()
): Promise<GoogleOutcome> {
	const id = identityId(identity.issuer, identity.subject);
	const linked = await c.userIdentities.findOne({ _id: id });
	if (linked) {
		const user = await c.users.findOne({ _id: linked.userId });
		if (!user) {
			// its user was deleted: the identity is free again
			await c.userIdentities.deleteOne({ _id: id, userId: linked.userId });
		} else if (flow.linkUserId !== null) {
			if (user._id !== flow.linkUserId) throw new GoogleSignInError('identity_taken');
			return { kind: 'linked', user };
		} else {
			if (user.role === 'admin') throw new GoogleSignInError('admin');
			return { kind: 'signed-in', user };
		}
	}

	if (flow.linkUserId !== null) {
		// Linking from the account page: the password was given when the flow started, and the
		// same user must still be signed in.
		if (signedInUserId !== flow.linkUserId) throw new GoogleSignInError('state');
		const user = await c.users.findOne({ _id: flow.linkUserId });
		if (!user) throw new GoogleSignInError('state');
		if (user.role === 'admin') throw new GoogleSignInError('admin');
		await linkIdentity(c, user, identity, now);
		return { kind: 'linked', user };
	}

	if (!identity.email) throw new GoogleSignInError('no_email');
	if (!identity.emailVerified) throw new GoogleSignInError('unverified_email');
	const existing = await c.users.findOne({ email: normalizeEmail(identity.email) });
	if (existing) {
		if (existing.role === 'admin') throw new GoogleSignInError('admin');
		if (existing.passwordHash === null) throw new GoogleSignInError('google_only');
	}
	const token = randomId(24);
	await c.oidcPending.insertOne({
		_id: sha256Hex(token),
		kind: existing ? 'link' : 'signup',
		issuer: identity.issuer,
		subject: identity.subject,
		email: normalizeEmail(identity.email),
		name: (identity.name ?? '').trim().slice(0, 100),
		userId: existing?._id ?? null,
		next: flow.next,
		role: flow.role,
		createdAt: now,
		expiresAt: new Date(now.getTime() + PENDING_TTL_MS)
	});
	return { kind: 'pending', pending: existing ? 'link' : 'signup', token };
}

/** Links the identity to the user. Throws GoogleSignInError when either side is taken. */
async function linkIdentity(
	c: Collections,
	user: Pick<UserDoc, '_id'>,
	identity: Pick<GoogleIdentity, 'issuer' | 'subject'> & { email: string | null },
	now = new Date()
): Promise<void> {
	const doc: UserIdentityDoc = {
		_id: identityId(identity.issuer, identity.subject),
		provider: 'google',
		issuer: identity.issuer,
		subject: identity.subject,
		userId: user._id,
		email: identity.email ?? '',
		linkedAt: now
	};
	try {
		await c.userIdentities.insertOne(doc);
	} catch (err) {
		if (!isDuplicateKeyError(err)) throw err;
		const holder = await c.userIdentities.findOne({ _id: doc._id });
		if (holder?.userId === user._id) return; // linked already (a retried request)
		throw new GoogleSignInError(holder ? 'identity_taken' : 'already_linked');
	}
}

export function setPendingCookie(
	cookies: CookieJar,
	token: string,
	secure: boolean,
	now = new Date()
) {
	cookies.set(PENDING_COOKIE, token, {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		secure,
		expires: new Date(now.getTime() + PENDING_TTL_MS)
	});
}

export function clearPendingCookie(cookies: CookieJar, secure: boolean) {
	cookies.delete(PENDING_COOKIE, { path: '/', secure });
}

/** The pending signup or link this browser's cookie names, if it is still there. */
export async function readPending(
	c: Collections,
	token: string | undefined,
	kind: OidcPendingDoc['kind'],
	now = new Date()
): Promise<OidcPendingDoc | null> {
	if (!token || !/^[a-z2-7]{1,64}$/.test(token)) return null;
	const row = await c.oidcPending.findOne({ _id: sha256Hex(token), kind });
	if (!row || row.expiresAt.getTime() <= now.getTime()) return null;
	return row;
}

async function dropPending(c: Collections, pending: OidcPendingDoc): Promise<void> {
	await c.oidcPending.deleteOne({ _id: pending._id });
}

/**
 * Finishes a pending signup: a customer or partner account with the verified email and no
 * password, and its identity. Throws ApiError 409 `email_taken`, GoogleSignInError.
 */
export async function completeGoogleSignup(
	c: Collections,
	pending: OidcPendingDoc,
	input: {
		name: string;
		role: SelfServiceRole;
		partner?: { phone: string; vehicle: Vehicle };
	},
	now = new Date()
): Promise<UserDoc> {
	const user = await insertUser(
		c,
		// the provider verified the email (resolveGoogleIdentity takes no other)
		{ ...input, email: pending.email, passwordHash: null, emailVerifiedAt: now },
		now
	);
	try {
		await linkIdentity(c, user, pending, now);
	} catch (err) {
		// the same Google account finished signing up in another tab first
		await c.users.deleteOne({ _id: user._id });
		throw err;
	}
	await dropPending(c, pending);
	return user;
}

/** Finishes a pending link once the account's password was given (the caller checked it). */
export async function completeGoogleLink(
	c: Collections,
	pending: OidcPendingDoc,
	user: UserDoc,
	now = new Date()
): Promise<void> {
	await linkIdentity(c, user, pending, now);
	// the account's owner proved the password and the provider verified this email
	if (user.emailVerifiedAt === null && user.email === pending.email) {
		await c.users.updateOne({ _id: user._id }, { $set: { emailVerifiedAt: now, updatedAt: now } });
	}
	await dropPending(c, pending);
}

/** The user's linked Google identity, if any. */
export function googleIdentityOf(c: Collections, userId: string) {
	return c.userIdentities.findOne({ userId, provider: 'google' });
}

/** Unlinks Google; refused (false) for an account with no password, which could not sign in. */
export async function unlinkGoogle(c: Collections, userId: string): Promise<boolean> {
	const user = await c.users.findOne({ _id: userId });
	if (!user || user.passwordHash === null) return false;
	await c.userIdentities.deleteMany({ userId, provider: 'google' });
	return true;
}
