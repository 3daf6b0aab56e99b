// The account operations behind both the JSON API and the form actions, so the two can never
// drift apart: register, log in (rate-limited), verify email, forgot/reset password.
import type { Collections, UserDoc } from '../../shared/db.ts';
import { ApiError } from '../http.ts';
import type { Logger } from '../../shared/log.ts';
import { passwordResetMail, verificationMail } from '../mail/templates.ts';
import type { MailTransport } from '../mail/transport.ts';
import type { RegisterInput } from '../validation/auth.ts';
import { authenticate, createUser, normalizeEmail, setPassword } from './accounts.ts';
import { hitRateLimit, resetRateLimit } from './rate-limit.ts';
import { invalidateUserSessions } from '../../shared/session.ts';
import { consumeAuthToken, issueAuthToken, retireAuthTokens } from './tokens.ts';

export interface AuthServices {
	collections: Collections;
	mail: MailTransport;
	/** Public URL of the web app, for links in mails. */
	origin: string;
	log: Logger;
	loginLimits: { perIp: number; perEmail: number; windowSeconds: number };
}

export const INVALID_CREDENTIALS_MESSAGE = 'Email or password is incorrect.';

export async function registerAccount(s: AuthServices, input: RegisterInput): Promise<UserDoc> {
	const user = await createUser(s.collections, input);
	await sendVerificationMail(s, user);
	return user;
}

/** Mails a fresh verification link. A mail failure is logged, never shown as a failed signup. */
export async function sendVerificationMail(s: AuthServices, user: UserDoc): Promise<void> {
	try {
		const token = await issueAuthToken(s.collections, 'verify-email', user);
		const link = `${s.origin}/verify-email?token=${token}`;
		await s.mail.send(verificationMail(user.email, user.name, link));
	} catch (err) {
		s.log.error({ err, userId: user._id }, 'could not send the verification mail');
	}
}

function tooManyAttempts(retryAfterSeconds: number): ApiError {
	const minutes = Math.ceil(retryAfterSeconds / 60);
	return new ApiError(
		429,
		'rate_limited',
		`Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
		undefined,
		{ 'retry-after': String(retryAfterSeconds) }
	);
}

/**
 * Checks the credentials. Every attempt counts against the IP and the email before the password
 * is looked at; a success clears that email's counter. Throws 429 `rate_limited` or
 * 401 `invalid_credentials` (the same for an unknown email and a wrong password).
 */
export async function login(
	s: AuthServices,
	credentials: { email: string; password: string },
	clientAddress: string
): Promise<UserDoc> {
	const { perIp, perEmail, windowSeconds } = s.loginLimits;
	const email = normalizeEmail(credentials.email);
	const [byIp, byEmail] = await Promise.all([
		hitRateLimit(s.collections, 'login-ip', clientAddress, perIp, windowSeconds),
		hitRateLimit(s.collections, 'login-email', email, perEmail, windowSeconds)
	]);
	if (!byIp.allowed || !byEmail.allowed) {
		s.log.warn(
			{ ip: clientAddress, byIp: byIp.count, byEmail: byEmail.count },
			'login rate-limited'
		);
		throw tooManyAttempts(
			Math.max(
				byIp.allowed ? 0 : byIp.retryAfterSeconds,
				byEmail.allowed ? 0 : byEmail.retryAfterSeconds
			)
		);
	}
	const user = await authenticate(s.collections, email, credentials.password);
	if (!user) throw new ApiError(401, 'invalid_credentials', INVALID_CREDENTIALS_MESSAGE);
	await resetRateLimit(s.collections, 'login-email', email, windowSeconds);
	return user;
}

/**
 * Limits mail-sending endpoints (forgot password, resend verification) per IP and per email with
 * the login limits, so nobody can flood a mailbox. Throws 429 `rate_limited`.
 */
export async function limitMailRequests(s: AuthServices, email: string, clientAddress: string) {
	const { perIp, perEmail, windowSeconds } = s.loginLimits;
	const [byIp, byEmail] = await Promise.all([
		hitRateLimit(s.collections, 'mail-ip', clientAddress, perIp, windowSeconds),
		hitRateLimit(s.collections, 'mail-email', normalizeEmail(email), perEmail, windowSeconds)
	]);
	if (!byIp.allowed || !byEmail.allowed) {
		throw tooManyAttempts(Math.max(byIp.retryAfterSeconds, byEmail.retryAfterSeconds));
	}
}

/** Confirms the email the token was sent to. Returns the user, or null for a bad/used/expired token. */
export async function verifyEmail(s: AuthServices, token: string): Promise<UserDoc | null> {
	const used = await consumeAuthToken(s.collections, 'verify-email', token);
	if (!used) return null;
	// Only the address the mail went to is confirmed: a later email change needs a new link.
	return s.collections.users.findOneAndUpdate(
		{ _id: used.userId, email: used.email },
		{ $set: { emailVerifiedAt: new Date(), updatedAt: new Date() } },
		{ returnDocument: 'after' }
	);
}

/**
 * Mails a reset link if an account has this email. The caller answers the same either way, so
 * this never reveals whether the email exists; it runs in the background for the same reason
 * (a slow mail server must not make known emails answer slower).
 */
export function requestPasswordReset(s: AuthServices, email: string): void {
	void (async () => {
		const user = await s.collections.users.findOne({ email: normalizeEmail(email) });
		if (!user) return;
		const token = await issueAuthToken(s.collections, 'reset-password', user);
		const link = `${s.origin}/reset-password?token=${token}`;
		await s.mail.send(passwordResetMail(user.email, user.name, link));
	})().catch((err) => s.log.error({ err }, 'could not send the password reset mail'));
}

/**
 * Sets a new password with a reset token. Logs the user out everywhere and retires their other
 * reset links. Returns the user, or null for a bad/used/expired token.
 */
export async function resetPassword(
	s: AuthServices,
	token: string,
	password: string
): Promise<UserDoc | null> {
	const used = await consumeAuthToken(s.collections, 'reset-password', token);
	if (!used) return null;
	const user = await s.collections.users.findOne({ _id: used.userId });
	if (!user) return null;
	await setPassword(s.collections, user._id, password);
	await Promise.all([
		invalidateUserSessions(s.collections, user._id),
		retireAuthTokens(s.collections, user._id, 'reset-password'),
		// The reset link proved the mailbox is theirs.
		user.emailVerifiedAt === null && user.email === used.email
			? s.collections.users.updateOne({ _id: user._id }, { $set: { emailVerifiedAt: new Date() } })
			: Promise.resolve()
	]);
	return user;
}
