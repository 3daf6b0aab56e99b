// "Continue with Google" against a real OpenID provider on 127.0.0.1 (oidc-provider, configured in
// tests/support/oidc-provider.ts), through the built web app, with a fetch client that follows the
// redirects and keeps cookies per origin like a browser. The same flows in Chromium:
// tests/e2e/google-signin.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import {
	startWebAppWithProvider,
	type TestAccount,
	type TestOidcProvider
} from '../support/oidc-provider.ts';
import { startWebApp, type RunningProcess } from '../support/processes.ts';

const PASSWORD = 'a password for linking';
let database: Database;
let web: RunningProcess;
let provider: TestOidcProvider;
let plainWeb: RunningProcess;

beforeAll(async () => {
	const opened = await openTestDatabase('google');
	database = opened.database;
	({ web, provider } = await startWebAppWithProvider(opened.uri));
	plainWeb = await startWebApp({ MONGODB_URI: opened.uri });
});

afterAll(async () => {
	await Promise.allSettled([web?.stop(), plainWeb?.stop()]);
	await provider?.stop();
	await dropTestDatabase(database);
});

/** A browser-like client: cookies per origin, redirects followed by hand. */
class Browser {
	readonly jar = new Map<string, Map<string, string>>();
	/** Every URL visited, in order. */
	readonly visited: string[] = [];

	cookie(origin: string, name: string): string | undefined {
		return this.jar.get(origin)?.get(name);
	}

	async request(
		method: string,
		url: string,
		form?: Record<string, string>
	): Promise<{ status: number; location: string | null; text: string; url: string }> {
		const target = new URL(url);
		const cookies = this.jar.get(target.origin) ?? new Map<string, string>();
		const headers: Record<string, string> = { accept: 'text/html' };
		if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
		if (form) {
			headers['content-type'] = 'application/x-www-form-urlencoded';
			headers.origin = target.origin;
		}
		this.visited.push(url);
		const res = await fetch(url, {
			method,
			headers,
			body: form ? new URLSearchParams(form).toString() : undefined,
			redirect: 'manual',
			signal: AbortSignal.timeout(20_000)
		});
		for (const line of res.headers.getSetCookie()) {
			const [pair = ''] = line.split(';');
			const eq = pair.indexOf('=');
			const name = pair.slice(0, eq).trim();
			const value = pair.slice(eq + 1).trim();
			const expired = /max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '';
			if (!this.jar.has(target.origin)) this.jar.set(target.origin, new Map());
			if (expired) this.jar.get(target.origin)!.delete(name);
			else this.jar.get(target.origin)!.set(name, value);
		}
		const location = res.headers.get('location');
		return {
			status: res.status,
			location: location ? new URL(location, url).toString() : null,
			text: await res.text(),
			url
		};
	}

	/** GET and follow redirects until `stop(url)` or a non-redirect answer. */
	async go(url: string, stop: (url: string) => boolean = () => false) {
		let reply = await this.request('GET', url);
		for (let hops = 0; reply.location && hops < 20; hops++) {
			if (stop(reply.location)) return reply;
			reply = await this.request('GET', reply.location);
		}
		return reply;
	}

	/** POST a form and follow the redirects after it. */
	async post(
		url: string,
		form: Record<string, string>,
		stop: (url: string) => boolean = () => false
	) {
		const reply = await this.request('POST', url, form);
		if (!reply.location || stop(reply.location)) return reply;
		return this.go(reply.location, stop);
	}
}

const isCallback = (url: string) => url.includes('/login/google/callback');

/**
 * From "Continue with Google" to the provider's redirect back to the app (not followed): signs in
 * at the provider as `account` and answers its consent page.
 */
async function toCallback(
	browser: Browser,
	account: TestAccount,
	options: { start?: string; consent?: 'allow' | 'deny' } = {}
): Promise<string> {
	let reply = await browser.go(web.url + (options.start ?? '/login/google'), isCallback);
	for (let step = 0; step < 4 && !(reply.location && isCallback(reply.location)); step++) {
		const action = /action="([^"]+)"/.exec(reply.text)?.[1];
		expect(action, reply.text).toBeDefined();
		if (reply.text.includes('name="login"')) {
			reply = await browser.post(
				new URL(action!, provider.issuer).toString(),
				{ login: account.sub },
				isCallback
			);
		} else {
			const forms = [...reply.text.matchAll(/action="([^"]+)"/g)].map((m) => m[1]!);
			const path = forms.find((f) =>
				f.endsWith(options.consent === 'deny' ? '/abort' : '/confirm')
			)!;
			reply = await browser.post(new URL(path, provider.issuer).toString(), {}, isCallback);
		}
	}
	expect(reply.location, reply.text).toMatch(/\/login\/google\/callback\?/);
	return reply.location!;
}

let counter = 0;
function account(overrides: Partial<TestAccount> = {}): TestAccount {
	counter += 1;
	const sub = `g${Date.now().toString(36)}${counter}`;
	return provider.addAccount({
		sub,
		email: `${sub}@gmail.test`,
		email_verified: true,
		name: `Gina ${counter}`,
		...overrides
	});
}

async function passwordUser(email: string, role: 'customer' | 'partner' | 'admin' = 'customer') {
	const now = new Date();
	const _id = randomId();
	await database.collections.users.insertOne({
		_id,
		email,
		name: 'Paula Password',
		role,
		passwordHash: await hashPassword(PASSWORD),
		emailVerifiedAt: null,
		createdAt: now,
		updatedAt: now
	});
	return _id;
}

const passwordLogin = (email: string, password: string) =>
	fetch(`${web.url}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email, password })
	});

const session = (b: Browser) => b.cookie(web.url, 'dispatch_session');
const me = async (b: Browser) => {
	const reply = await b.request('GET', `${web.url}/api/me`);
	return reply.status === 200 ? JSON.parse(reply.text).user : null;
};

describe('Continue with Google', () => {
	it('discovers the provider, and the button is there only when AUTH_GOOGLE_ID is set', async () => {
		const login = await new Browser().go(`${web.url}/login`);
		expect(login.text).toContain('Continue with Google');
		expect((await new Browser().go(`${web.url}/register`)).text).toContain('Continue with Google');
		const plain = await new Browser().go(`${plainWeb.url}/login`);
		expect(plain.status).toBe(200);
		expect(plain.text).not.toContain('Continue with Google');
		expect((await new Browser().request('GET', `${plainWeb.url}/login/google`)).status).toBe(404);
	});

	it('a new user picks customer; the account has no password, a verified email, the identity', async () => {
		const b = new Browser();
		const who = account();
		const callback = await toCallback(b, who);
		const reply = await b.go(callback);
		expect(reply.url).toBe(`${web.url}/register/google`);
		expect(session(b)).toBeUndefined();
		expect(reply.text).toContain(who.email);

		// the form is validated like any other: a bad role is a 400 naming it
		const bad = await b.request('POST', `${web.url}/register/google`, {
			name: 'Gina',
			role: 'admin'
		});
		expect(bad.status).toBe(400);
		expect(bad.text).toContain('Role must be customer or partner');
		expect(session(b)).toBeUndefined();

		const done = await b.post(`${web.url}/register/google`, { name: 'Gina G', role: 'customer' });
		expect(done.url).toBe(`${web.url}/`);
		expect(await me(b)).toMatchObject({ email: who.email, role: 'customer', emailVerified: true });
		const user = await database.collections.users.findOne({ email: who.email });
		expect(user?.passwordHash).toBeNull();
		expect(await database.collections.userIdentities.findOne({ userId: user!._id })).toMatchObject({
			issuer: provider.issuer,
			subject: who.sub
		});

		// next time: straight in, a session like any other, revoked by logging out
		const again = new Browser();
		await again.go(await toCallback(again, who));
		expect(await me(again)).toMatchObject({ id: user!._id });
		const token = session(again)!;
		expect(token).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{32}$/);
		await again.post(`${web.url}/logout`, {});
		expect(await database.collections.sessions.countDocuments({ _id: token.split('.')[0] })).toBe(
			0
		);
		// no password to guess at
		expect((await passwordLogin(who.email, 'any password at all')).status).toBe(401);
	});

	it('a new partner gives phone and vehicle before the account exists', async () => {
		const b = new Browser();
		const who = account();
		await b.go(await toCallback(b, who, { start: '/login/google?role=partner' }));
		const missing = await b.request('POST', `${web.url}/register/google`, {
			name: 'Pat',
			role: 'partner'
		});
		expect(missing.status).toBe(400);
		expect(await database.collections.users.countDocuments({ email: who.email })).toBe(0);
		const done = await b.post(`${web.url}/register/google`, {
			name: 'Pat',
			role: 'partner',
			'partner.phone': '+44 20 7946 0001',
			'partner.vehicle': 'van'
		});
		expect(done.url).toBe(`${web.url}/partner`);
		expect(await me(b)).toMatchObject({
			role: 'partner',
			partner: { phone: '+44 20 7946 0001', vehicle: 'van', available: false }
		});
	});

	it('links to an existing password account only after its password, then either way works', async () => {
		const email = `paula-${Date.now().toString(36)}@example.com`;
		const userId = await passwordUser(email);
		const who = account({ email });
		const b = new Browser();
		const reply = await b.go(await toCallback(b, who));
		expect(reply.url).toBe(`${web.url}/login/google/link`);
		expect(session(b)).toBeUndefined();

		const wrong = await b.request('POST', `${web.url}/login/google/link`, {
			password: 'not it at all'
		});
		expect(wrong.status).toBe(401);
		expect(session(b)).toBeUndefined();
		expect(await database.collections.userIdentities.countDocuments({ userId })).toBe(0);

		const right = await b.post(`${web.url}/login/google/link`, { password: PASSWORD });
		expect(right.url).toBe(`${web.url}/`);
		expect(await me(b)).toMatchObject({ id: userId, emailVerified: true });
		expect(await database.collections.userIdentities.countDocuments({ userId })).toBe(1);

		const viaGoogle = new Browser();
		await viaGoogle.go(await toCallback(viaGoogle, who));
		expect(await me(viaGoogle)).toMatchObject({ id: userId });
		const viaPassword = await passwordLogin(email, PASSWORD);
		expect(viaPassword.status).toBe(200);
		expect((await viaPassword.json()).user.id).toBe(userId);
	});

	it('never signs in or links through an unverified email, and never as an admin', async () => {
		const email = `victim-${Date.now().toString(36)}@example.com`;
		const victim = await passwordUser(email);
		const forged = account({ email, email_verified: false });
		const b = new Browser();
		const reply = await b.go(await toCallback(b, forged));
		expect(reply.url).toBe(`${web.url}/login?google=unverified_email`);
		expect(reply.text).toContain('is not verified');
		expect(session(b)).toBeUndefined();
		expect(await database.collections.userIdentities.countDocuments({ userId: victim })).toBe(0);

		const adminEmail = `boss-${Date.now().toString(36)}@example.com`;
		await passwordUser(adminEmail, 'admin');
		const asAdmin = new Browser();
		const refused = await asAdmin.go(await toCallback(asAdmin, account({ email: adminEmail })));
		expect(refused.url).toBe(`${web.url}/login?google=admin`);
		expect(session(asAdmin)).toBeUndefined();
	});

	it('refuses a wrong state, a replayed code, denied consent and a tampered ID token: a message and no session', async () => {
		const who = account();
		// wrong state
		const b1 = new Browser();
		const callback = new URL(await toCallback(b1, who));
		callback.searchParams.set('state', 'not-the-state-this-browser-holds');
		const wrongState = await b1.go(callback.toString());
		expect(wrongState.url).toBe(`${web.url}/login?google=state`);
		expect(wrongState.text).toContain('could not be matched to this browser');
		expect(session(b1)).toBeUndefined();

		// a replayed code: the same answer again, even with the flow cookie put back
		const b2 = new Browser();
		const first = await toCallback(b2, who);
		const flowCookie = b2.cookie(web.url, 'dispatch_oidc')!;
		await b2.go(first);
		expect(session(b2)).toBeUndefined(); // a new user: the signup form comes next
		const refusedBefore = provider.refusedTokenRequests();
		const b3 = new Browser();
		b3.jar.set(web.url, new Map([['dispatch_oidc', flowCookie]]));
		const replay = await b3.go(first);
		expect(replay.url).toBe(`${web.url}/login?google=exchange`);
		expect(replay.text).toContain('already used');
		expect(session(b3)).toBeUndefined();
		expect(provider.refusedTokenRequests()).toBe(refusedBefore + 1);

		// denied consent (a fresh browser: the provider asks again)
		const b4 = new Browser();
		const denied = await b4.go(await toCallback(b4, account(), { consent: 'deny' }));
		expect(denied.url).toBe(`${web.url}/login?google=denied`);
		expect(session(b4)).toBeUndefined();

		// a tampered ID token: someone else's email, the provider's old signature
		const email = `target-${Date.now().toString(36)}@example.com`;
		await passwordUser(email);
		const b5 = new Browser();
		const answer = await toCallback(b5, account());
		provider.tamperNextIdToken({ email, sub: 'someone-else' });
		const tampered = await b5.go(answer);
		expect(tampered.url).toBe(`${web.url}/login?google=token`);
		expect(tampered.text).toContain('could not be verified');
		expect(session(b5)).toBeUndefined();
		expect(b5.visited.some((u) => u.includes('/register/google') || u.includes('/link'))).toBe(
			false
		);
	});
});
