// The account operations behind both the JSON API and the form actions, so the two can never
// drift apart: register, log in (rate-limited), verify email, forgot/reset password.
import type { Collections, UserDoc } from '../../shared/db.ts';
import { ApiError } from '../http.ts';
import type { Logger } from '../../shared/log.ts';
import { passwordResetMail, verificationMail } from '../mail/templates.ts';
import type { MailTransport } from '../mail/transport.ts';
import type { RegisterInput } from '../validation/auth.ts';
import { authenticate, createUser, normalizeEmail, setPassword } from './accounts.ts';
import {
	attemptFailed,
	attemptSucceeded,
	beginAttempt,
	clearFailures,
	releaseAttempt,
	type FailureLimit
} from './login-limits.ts';
import { hitRateLimit, type Refusal } from './rate-limit.ts';
import { invalidateUserSessions } from '../../shared/session.ts';
import { consumeAuthToken, issueAuthToken, retireAuthTokens } from './tokens.ts';

export interface AuthServices {
	collections: Collections;
	mail: MailTransport;
	/** Public URL of the web app, for links in mails. */
	origin: string;
	log: Logger;
	/** Failed logins per address and per account within any window; the first wait of an account. */
	loginLimits: { perIp: number; perEmail: number; windowSeconds: number; delayMs: number };
	/** Mails (reset, verification) per address and per email in a window. */
	mailLimits: { perIp: number; perEmail: number; windowSeconds: number };
}

const INVALID_CREDENTIALS_MESSAGE = 'Email or password is incorrect.';

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

function tooManyAttempts(retryAfterSeconds: number, what = 'attempts'): ApiError {
	const wait =
		retryAfterSeconds < 60
			? `${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}`
			: `${Math.ceil(retryAfterSeconds / 60)} minute${Math.ceil(retryAfterSeconds / 60) === 1 ? '' : 's'}`;
	return new ApiError(429, 'rate_limited', `Too many ${what}. Try again in ${wait}.`, undefined, {
		'retry-after': String(retryAfterSeconds)
	});
}

/**
 * The failed-login limits of these services (login-limits.ts).
 * @internal for tests: tests/integration/auth-rate-limit.test.ts
 */
export function loginLimitsOf(s: Pick<AuthServices, 'loginLimits'>): {
	perIp: FailureLimit;
	perAccount: FailureLimit;
} {
	const { perIp, perEmail, windowSeconds, delayMs } = s.loginLimits;
	return {
		// An address is shared by many people (an office, a mobile carrier): a plain cap on its
		// failures, which a password spray reaches; successes never count.
		perIp: {
			bucket: 'login-ip',
			limit: perIp,
			windowSeconds,
			freeFailures: Infinity,
			delayMs: 0,
			maxDelayMs: 0
		},
		// One account: three failures are free, then waits of 1, 2, 4 … × delayMs, then the cap.
		perAccount: {
			bucket: 'login-email',
			limit: perEmail,
			windowSeconds,
			freeFailures: FREE_FAILURES_PER_ACCOUNT,
			delayMs,
			maxDelayMs: delayMs * 60
		}
	};
}

/**
 * Failed logins of one account that cost no wait.
 * @internal for tests: tests/integration/auth-concurrency.test.ts, tests/integration/auth-rate-limit.test.ts
 */
export const FREE_FAILURES_PER_ACCOUNT = 3;

/**
 * Checks the credentials. Only failures count against the limits: an attempt takes a slot of the
 * address's and of the account's window before the password is looked at (so concurrent attempts
 * cannot check more passwords than allowed), a failure keeps both, a success gives the address's
 * back and clears the account's. Throws 429 `rate_limited` (with Retry-After) or 401
 * `invalid_credentials` (the same for an unknown email and a wrong password).
 */
export async function login(
	s: AuthServices,
	credentials: { email: string; password: string },
	clientAddress: string
): Promise<UserDoc> {
	const limits = loginLimitsOf(s);
	const c = s.collections;
	const email = normalizeEmail(credentials.email);
	const [byIp, byAccount] = await Promise.all([
		beginAttempt(c, limits.perIp, clientAddress),
		beginAttempt(c, limits.perAccount, email)
	]);
	if (!byIp.allowed || !byAccount.allowed) {
		await Promise.all([byIp, byAccount].map((a) => (a.allowed ? releaseAttempt(c, a) : null)));
		const refusals = [byIp, byAccount].filter((a): a is Refusal => !a.allowed);
		s.log.warn({ ip: clientAddress, refused: refusals.map((r) => r.reason) }, 'login rate-limited');
		const ms = Math.max(...refusals.map((r) => r.retryAfterMs));
		throw tooManyAttempts(Math.max(1, Math.ceil(ms / 1000)), 'failed attempts');
	}
	let user: UserDoc | null;
	try {
		user = await authenticate(c, email, credentials.password);
	} catch (err) {
		await Promise.allSettled([releaseAttempt(c, byIp), releaseAttempt(c, byAccount)]);
		throw err;
	}
	if (!user) {
		await Promise.all([attemptFailed(c, byIp), attemptFailed(c, byAccount)]);
		throw new ApiError(401, 'invalid_credentials', INVALID_CREDENTIALS_MESSAGE);
	}
	await Promise.all([
		attemptSucceeded(c, byIp, { clear: false }),
		attemptSucceeded(c, byAccount, { clear: true })
	]);
	return user;
}

/**
 * Limits mail-sending endpoints (forgot password, resend verification) per IP and per email with
 * the login limits, so nobody can flood a mailbox. Throws 429 `rate_limited`.
 */
export async function limitMailRequests(s: AuthServices, email: string, clientAddress: string) {
	const { perIp, perEmail, windowSeconds } = s.mailLimits;
	const [byIp, byEmail] = await Promise.all([
		hitRateLimit(s.collections, 'mail-ip', clientAddress, perIp, windowSeconds),
		hitRateLimit(s.collections, 'mail-email', normalizeEmail(email), perEmail, windowSeconds)
	]);
	const waits = [byIp, byEmail].flatMap((hit) => (hit.allowed ? [] : [hit.retryAfterSeconds]));
	if (waits.length > 0) throw tooManyAttempts(Math.max(...waits));
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
		// whoever guessed at the old password before, the owner has a new one now
		clearFailures(s.collections, loginLimitsOf(s).perAccount, user.email),
		// The reset link proved the mailbox is theirs.
		user.emailVerifiedAt === null && user.email === used.email
			? s.collections.users.updateOne({ _id: user._id }, { $set: { emailVerifiedAt: new Date() } })
			: Promise.resolve()
	]);
	return user;
}
