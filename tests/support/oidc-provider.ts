// A real OpenID Connect provider on 127.0.0.1 for the "Continue with Google" tests: the
// `oidc-provider` package (discovery, authorization code with PKCE, ID tokens signed with an RSA
// key it publishes as a JWKS), configured here with one confidential client (the web app) and
// accounts the test adds. Its sign-in and consent pages are our own small forms (the package's
// development pages load web fonts from the internet); the consent page has Allow and Deny.
// `tamperNextIdToken()` changes the claims of the next ID token the token endpoint returns
// without re-signing it, as an attacker in the middle would.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { freePort } from './ports.ts';
import { startWebApp, type RunningProcess } from './processes.ts';

export interface TestAccount {
	/** The `sub` claim, also what the sign-in form asks for. */
	sub: string;
	email: string;
	email_verified: boolean;
	name: string;
}

export interface TestOidcProvider {
	issuer: string;
	clientId: string;
	clientSecret: string;
	addAccount(account: TestAccount): TestAccount;
	/** The next ID token from the token endpoint gets these claims, with the old signature. */
	tamperNextIdToken(claims: Record<string, unknown>): void;
	/**
	 * The next redirect back to the app is not sent: the provider shows a page instead and the
	 * promise gets the callback URL (code and state), for a test to use as it likes.
	 */
	holdNextAnswer(): Promise<string>;
	/** How many token requests the provider refused (e.g. a code used twice). */
	refusedTokenRequests(): number;
	stop(): Promise<void>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function page(title: string, body: string): string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}
label,input,button{display:block;margin:.5rem 0;font-size:1rem}input{width:100%;padding:.5rem}
button{padding:.5rem 1rem}</style></head><body><h1>Test provider: ${escape(title)}</h1>${body}</body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
	let body = '';
	for await (const chunk of req) body += chunk;
	return new URLSearchParams(body);
}

async function startOidcProvider(options: {
	/** The web app's callback URL(s), e.g. `${web}/login/google/callback`. */
	redirectUris: string[];
}): Promise<TestOidcProvider> {
	const accounts = new Map<string, TestAccount>();
	let tamper: Record<string, unknown> | null = null;
	let refused = 0;
	let hold: ((url: string) => void) | null = null;
	const clientId = 'dispatch-test-client';
	const clientSecret = 'dispatch-test-client-secret-0123456789';
	const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const jwk = {
		...privateKey.export({ format: 'jwk' }),
		kid: 'test-key-1',
		alg: 'RS256',
		use: 'sig'
	};

	const server: Server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	const provider = new Provider(issuer, {
		clients: [
			{
				client_id: clientId,
				client_secret: clientSecret,
				redirect_uris: options.redirectUris,
				grant_types: ['authorization_code'],
				response_types: ['code'],
				token_endpoint_auth_method: 'client_secret_post'
			}
		],
		jwks: { keys: [jwk] },
		cookies: { keys: ['test-provider-cookie-key'] },
		pkce: { required: () => true },
		// email and name in the ID token, as Google puts them
		conformIdTokenClaims: false,
		claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
		features: { devInteractions: { enabled: false } },
		ttl: {
			Interaction: 600,
			Session: 3600,
			Grant: 3600,
			AccessToken: 600,
			IdToken: 600,
			AuthorizationCode: 60
		},
		interactions: {
			url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`
		},
		async findAccount(_ctx: unknown, sub: string) {
			const account = accounts.get(sub);
			if (!account) return undefined;
			return { accountId: sub, claims: async () => ({ ...account }) };
		}
	});
	const handle = provider.callback();

	async function interaction(req: IncomingMessage, res: ServerResponse, path: string) {
		const details = await provider.interactionDetails(req, res);
		const uid = details.uid;
		if (req.method === 'GET') {
			res.setHeader('content-type', 'text/html; charset=utf-8');
			if (details.prompt.name === 'login') {
				res.end(
					page(
						'Sign in',
						`<form method="post" action="/interaction/${uid}/login">
<label for="login">Account</label><input id="login" name="login" required autofocus>
<button type="submit">Sign in</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`
					)
				);
			} else {
				res.end(
					page(
						'Allow access',
						`<p>Dispatch asks for your email address and name.</p>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`
					)
				);
			}
			return;
		}
		const form = await readForm(req);
		if (path.endsWith('/login')) {
			const login = form.get('login') ?? '';
			if (!accounts.has(login)) {
				res.statusCode = 400;
				res.end(page('Sign in', `<p>No such account: ${escape(login)}</p>`));
				return;
			}
			await provider.interactionFinished(
				req,
				res,
				{ login: { accountId: login } },
				{
					mergeWithLastSubmission: false
				}
			);
		} else if (path.endsWith('/confirm')) {
			const { prompt, params, session, grantId } = details;
			const grant = grantId
				? await provider.Grant.find(grantId)
				: new provider.Grant({
						accountId: session!.accountId,
						clientId: params.client_id as string
					});
			const missing = prompt.details as {
				missingOIDCScope?: string[];
				missingOIDCClaims?: string[];
			};
			if (missing.missingOIDCScope) grant!.addOIDCScope(missing.missingOIDCScope.join(' '));
			if (missing.missingOIDCClaims) grant!.addOIDCClaims(missing.missingOIDCClaims);
			const result = { consent: { grantId: await grant!.save() } };
			await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
		} else {
			await provider.interactionFinished(
				req,
				res,
				{ error: 'access_denied', error_description: 'End-User denied access' },
				{ mergeWithLastSubmission: false }
			);
		}
	}

	/** Passes a token response through, changing the ID token's claims once if asked. */
	function watchTokenResponse(res: ServerResponse) {
		const chunks: Buffer[] = [];
		const write = res.write.bind(res);
		const end = res.end.bind(res);
		res.write = ((chunk: unknown) => {
			chunks.push(Buffer.from(chunk as Buffer));
			return true;
		}) as typeof res.write;
		res.end = ((chunk?: unknown) => {
			if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as Buffer));
			let body = Buffer.concat(chunks).toString('utf8');
			if (res.statusCode >= 400) refused += 1;
			if (res.statusCode === 200 && tamper) {
				const json = JSON.parse(body) as { id_token?: string };
				if (json.id_token) {
					const [header, payload, signature] = json.id_token.split('.');
					const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
					const changed = Buffer.from(JSON.stringify({ ...claims, ...tamper })).toString(
						'base64url'
					);
					json.id_token = `${header}.${changed}.${signature}`;
					tamper = null;
					body = JSON.stringify(json);
				}
			}
			if (!res.headersSent) res.setHeader('content-length', Buffer.byteLength(body));
			write(body);
			return end();
		}) as typeof res.end;
	}

	/** Turns a redirect to the app into a page, once, when a test holds the next answer. */
	function holdAnswer(res: ServerResponse) {
		const end = res.end.bind(res);
		res.end = ((...args: unknown[]) => {
			const location = res.getHeader('location');
			const target = typeof location === 'string' ? location : '';
			if (hold && options.redirectUris.some((uri) => target.startsWith(uri))) {
				const resolve = hold;
				hold = null;
				res.statusCode = 200;
				res.removeHeader('location');
				res.setHeader('content-type', 'text/html; charset=utf-8');
				const body = page('Answer held', `<p>Held by the test.</p>`);
				res.setHeader('content-length', Buffer.byteLength(body));
				resolve(target);
				return end(body);
			}
			return (end as (...a: unknown[]) => ServerResponse)(...args);
		}) as typeof res.end;
	}

	server.on('request', (req: IncomingMessage, res: ServerResponse) => {
		const path = new URL(req.url ?? '/', issuer).pathname;
		holdAnswer(res);
		if (path.startsWith('/interaction/')) {
			interaction(req, res, path).catch((err: unknown) => {
				res.statusCode = 500;
				res.end(String(err));
			});
			return;
		}
		if (path === '/token') watchTokenResponse(res);
		void handle(req, res);
	});

	return {
		issuer,
		clientId,
		clientSecret,
		addAccount(account) {
			accounts.set(account.sub, account);
			return account;
		},
		holdNextAnswer() {
			return new Promise<string>((resolve) => (hold = resolve));
		},
		tamperNextIdToken(claims) {
			tamper = claims;
		},
		refusedTokenRequests: () => refused,
		async stop() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}

/**
 * The built web app with "Continue with Google" pointed at a provider started for it (its
 * callback registered there), both on 127.0.0.1.
 */
export async function startWebAppWithProvider(
	uri: string
): Promise<{ web: RunningProcess; provider: TestOidcProvider }> {
	const port = await freePort();
	const provider = await startOidcProvider({
		redirectUris: [`http://127.0.0.1:${port}/login/google/callback`]
	});
	try {
		const web = await startWebApp({
			MONGODB_URI: uri,
			PORT: String(port),
			AUTH_GOOGLE_ID: provider.clientId,
			AUTH_GOOGLE_SECRET: provider.clientSecret,
			AUTH_GOOGLE_ISSUER: provider.issuer
		});
		return { web, provider };
	} catch (error) {
		await provider.stop();
		throw error;
	}
}
