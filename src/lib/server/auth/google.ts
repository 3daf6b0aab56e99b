// "Continue with Google" as an OpenID Connect relying party, on openid-client 6 (discovery,
// authorization code with PKCE, `state` and `nonce`, ID token checks). The issuer defaults to
// Google's and can be any OpenID provider (AUTH_GOOGLE_ISSUER): its metadata comes from
// `<issuer>/.well-known/openid-configuration`. The ID token's signature is verified against the
// provider's JWKS (enableNonRepudiationChecks): the token endpoint is reached over TLS, but a
// tampered token must not pass here even where it is not (a provider on 127.0.0.1 in tests).
//
// The flow's secrets (PKCE verifier, nonce) are kept in the database under the SHA-256 of `state`;
// the browser holds `state` in an HttpOnly cookie scoped to /login/google, so the answer is
// accepted only in the browser that started the flow, from any web process.
import * as oidc from 'openid-client';
import type { Collections, OidcFlowDoc } from '../../shared/db.ts';
import { deleteBatch, PRUNE_BATCH, throttledPrune } from '../../shared/housekeeping.ts';
import { sha256Hex } from '../../shared/sha256.ts';
import type { WebConfig } from '../config.ts';
import type { CookieJar } from './cookie.ts';

export type GoogleConfig = NonNullable<WebConfig['google']>;

const FLOW_COOKIE = 'dispatch_oidc';
const FLOW_COOKIE_PATH = '/login/google';
const FLOW_TTL_MS = 10 * 60 * 1000;
const SCOPES = 'openid email profile';

/** Why a sign-in with Google did not go through; each has a message on the login page. */
export type GoogleProblem =
	| 'unavailable' // the provider could not be reached (discovery, token endpoint)
	| 'denied' // the person cancelled or refused consent at the provider
	| 'provider_error' // the provider answered the authorization request with another error
	| 'state' // no flow in this browser, or the answer's state is not this browser's
	| 'exchange' // the provider refused the code (used already, expired, not ours)
	| 'token' // the ID token failed verification (signature, issuer, audience, nonce, expiry)
	| 'no_email' // the ID token has no email
	| 'unverified_email' // the provider has not verified the email
	| 'admin' // the email belongs to an admin account
	| 'identity_taken' // linking: this Google account is linked to another Dispatch account
	| 'already_linked' // linking: the account already has a Google identity
	| 'google_only' // the email's account signs in with another Google identity only
	| 'expired'; // a pending signup or link is gone

export class GoogleSignInError extends Error {
	constructor(
		readonly problem: GoogleProblem,
		options?: { cause?: unknown }
	) {
		super(`Google sign-in failed: ${problem}`, options);
		this.name = 'GoogleSignInError';
	}
}

/** What a verified ID token says about the person. */
export interface GoogleIdentity {
	issuer: string;
	subject: string;
	email: string | null;
	emailVerified: boolean;
	name: string | null;
}

let discovered: { key: string; config: Promise<oidc.Configuration> } | null = null;

/** The provider's configuration, discovered once per process (again after a failure). */
function providerConfiguration(google: GoogleConfig): Promise<oidc.Configuration> {
	const key = `${google.issuer} ${google.clientId}`;
	if (discovered?.key === key) return discovered.config;
	const insecure = new URL(google.issuer).protocol === 'http:';
	const config = oidc
		.discovery(
			new URL(google.issuer),
			google.clientId,
			{ client_secret: google.clientSecret, id_token_signed_response_alg: 'RS256' },
			oidc.ClientSecretPost(google.clientSecret),
			{
				execute: [
					oidc.enableNonRepudiationChecks,
					// config.ts allows http:// only for a provider on this machine
					...(insecure ? [oidc.allowInsecureRequests] : [])
				],
				timeout: 10
			}
		)
		.catch((err: unknown) => {
			if (discovered?.config === config) discovered = null;
			throw new GoogleSignInError('unavailable', { cause: err });
		});
	discovered = { key, config };
	return config;
}

/**
 * Starts a sign-in: stores the flow, sets the browser's state cookie and returns the provider's
 * authorization URL to redirect to.
 */
export async function startGoogleFlow(
	c: Collections,
	google: GoogleConfig,
	cookies: CookieJar,
	options: {
		next: string | null;
		role: OidcFlowDoc['role'];
		linkUserId: string | null;
		secure: boolean;
	},
	now = new Date()
): Promise<URL> {
	const config = await providerConfiguration(google);
	const state = oidc.randomState();
	const nonce = oidc.randomNonce();
	const codeVerifier = oidc.randomPKCECodeVerifier();
	const challenge = await oidc.calculatePKCECodeChallenge(codeVerifier);
	await c.oidcFlows.insertOne({
		_id: sha256Hex(state),
		codeVerifier,
		nonce,
		next: options.next,
		role: options.role,
		linkUserId: options.linkUserId,
		createdAt: now,
		expiresAt: new Date(now.getTime() + FLOW_TTL_MS)
	});
	pruneFlowsSoon(c, now);
	cookies.set(FLOW_COOKIE, state, {
		path: FLOW_COOKIE_PATH,
		httpOnly: true,
		sameSite: 'lax',
		secure: options.secure,
		expires: new Date(now.getTime() + FLOW_TTL_MS)
	});
	return oidc.buildAuthorizationUrl(config, {
		redirect_uri: google.redirectUri,
		scope: SCOPES,
		state,
		nonce,
		code_challenge: challenge,
		code_challenge_method: 'S256'
		// no `prompt=select_account`: optional in OpenID Connect, and some providers refuse it
	});
}

/**
 * Finishes a sign-in from the provider's answer (`url` is the callback URL with `code` and
 * `state`, or `error`): checks the state against this browser's cookie, exchanges the code with
 * the PKCE verifier, verifies the ID token (signature against the provider's JWKS, issuer,
 * audience, expiry, nonce) and returns what it says. The flow cookie is cleared either way.
 * Throws GoogleSignInError.
 */
export async function finishGoogleFlow(
	c: Collections,
	google: GoogleConfig,
	cookies: CookieJar & { get(name: string): string | undefined },
	url: URL,
	secure: boolean,
	now = new Date()
): Promise<{ identity: GoogleIdentity; flow: OidcFlowDoc }> {
	const state = cookies.get(FLOW_COOKIE);
	cookies.delete(FLOW_COOKIE, { path: FLOW_COOKIE_PATH, secure });
	const error = url.searchParams.get('error');
	if (error !== null) {
		// Only a flow this browser started may report a cancellation; either way nothing happens.
		throw new GoogleSignInError(error === 'access_denied' ? 'denied' : 'provider_error');
	}
	const answered = url.searchParams.get('state');
	if (!state || !answered || answered !== state) throw new GoogleSignInError('state');
	const flow = await c.oidcFlows.findOne({ _id: sha256Hex(state) });
	if (!flow || flow.expiresAt.getTime() <= now.getTime()) throw new GoogleSignInError('state');

	const config = await providerConfiguration(google);
	// The callback URL as the provider was told it (behind a proxy the request's own may differ).
	const callback = new URL(google.redirectUri);
	callback.search = url.search;
	let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
	try {
		tokens = await oidc.authorizationCodeGrant(config, callback, {
			pkceCodeVerifier: flow.codeVerifier,
			expectedState: state,
			expectedNonce: flow.nonce,
			idTokenExpected: true
		});
	} catch (err) {
		if (err instanceof oidc.ResponseBodyError)
			throw new GoogleSignInError('exchange', { cause: err });
		if (err instanceof oidc.AuthorizationResponseError) {
			throw new GoogleSignInError('provider_error', { cause: err });
		}
		if (isNetworkError(err)) throw new GoogleSignInError('unavailable', { cause: err });
		throw new GoogleSignInError('token', { cause: err });
	}
	const claims = tokens.claims();
	if (!claims) throw new GoogleSignInError('token');
	const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : null;
	const name = typeof claims.name === 'string' ? claims.name : null;
	return {
		flow,
		identity: {
			issuer: claims.iss,
			subject: claims.sub,
			email: email || null,
			// only a JSON true: some providers send strings, which prove nothing here
			emailVerified: claims.email_verified === true,
			name
		}
	};
}

function isNetworkError(err: unknown): boolean {
	if (!(err instanceof Error)) return false;
	if (err.name === 'TimeoutError' || err.name === 'AbortError') return true;
	return err instanceof TypeError && /fetch failed/i.test(err.message);
}

/** Deletes up to `batch` flows that expired by `now`. */
async function pruneExpiredFlows(
	c: Collections,
	now = new Date(),
	batch = PRUNE_BATCH
): Promise<number> {
	const flows = await deleteBatch(c.oidcFlows, { expiresAt: { $lte: now } }, batch);
	const pending = await deleteBatch(c.oidcPending, { expiresAt: { $lte: now } }, batch);
	return Math.max(flows, pending);
}

const pruneFlowsSoon = throttledPrune((c, now) => pruneExpiredFlows(c, now));
