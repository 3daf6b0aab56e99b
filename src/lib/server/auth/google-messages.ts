// What the login page says when a sign-in with Google did not go through (`/login?google=<problem>`).
import type { GoogleProblem } from './google.ts';

const GOOGLE_MESSAGES: Record<GoogleProblem, string> = {
	unavailable:
		'Signing in with Google is not available right now. Please try again in a moment, or log in with your password.',
	denied: 'You cancelled signing in with Google, so you are not signed in.',
	provider_error: 'Google could not sign you in. Please try again.',
	state:
		'This Google sign-in could not be matched to this browser: it may have expired or been started in another window. Please start again.',
	exchange:
		'Google did not accept this sign-in: its code was already used or has expired. Please start again.',
	token:
		'The answer from Google could not be verified, so you are not signed in. Please try again.',
	no_email:
		'Your Google account did not share its email address, which Dispatch needs. Please try again and allow it.',
	unverified_email:
		'The email address of your Google account is not verified. Verify it with Google, or create an account with a password.',
	admin: 'Administrator accounts sign in with their password only.',
	identity_taken: 'This Google account is already linked to another Dispatch account.',
	already_linked:
		'Your Dispatch account is already linked to a Google account. Unlink it on your account page first.',
	google_only:
		'An account with this email already signs in with a different Google account. Please use that one.',
	expired: 'That took too long and expired. Please continue with Google again.'
};

export function googleMessage(problem: string | null): string | null {
	if (problem === null || !Object.hasOwn(GOOGLE_MESSAGES, problem)) return null;
	return GOOGLE_MESSAGES[problem as GoogleProblem];
}
