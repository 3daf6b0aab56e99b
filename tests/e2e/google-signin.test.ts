// "Continue with Google" in Chromium against a real OpenID provider on 127.0.0.1 (oidc-provider,
// tests/support/oidc-provider.ts): the whole redirect flow for a new customer, a new partner and
// linking an existing account; a wrong state, a replayed code, denied consent and a tampered ID
// token each end on the login page with a clear message and no session. Screenshots at phone and
// desktop widths go to test-results/screenshots/.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/lib/server/auth/password.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import { VIEWPORTS, launchBrowser, screenshot } from '../support/browser.ts';
import { openTestDatabase } from '../support/database.ts';
import {
	startWebAppWithProvider,
	type TestAccount,
	type TestOidcProvider
} from '../support/oidc-provider.ts';
import type { RunningProcess } from '../support/processes.ts';

const PASSWORD = 'a long browser password';
let database: Database;
let web: RunningProcess;
let provider: TestOidcProvider;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	const opened = await openTestDatabase('google_e2e');
	database = opened.database;
	({ web, provider } = await startWebAppWithProvider(opened.uri));
	browser = await launchBrowser();
});

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => {});
	await browser?.close();
	await web?.stop();
	await provider?.stop();
	await database?.db.dropDatabase();
	await database?.close();
});

async function newPage(viewport: { width: number; height: number } = VIEWPORTS.desktop) {
	const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
	contexts.push(context);
	const page = await context.newPage();
	page.setDefaultTimeout(15_000);
	return { context, page };
}

let counter = 0;
function account(overrides: Partial<TestAccount> = {}): TestAccount {
	counter += 1;
	const sub = `e2e${Date.now().toString(36)}${counter}`;
	return provider.addAccount({
		sub,
		email: `${sub}@gmail.test`,
		email_verified: true,
		name: `Gabi Google ${counter}`,
		...overrides
	});
}

const onProvider = (page: Page) => page.url().startsWith(provider.issuer);

/** Clicks "Continue with Google" on `path` and goes through the provider's pages. */
async function continueWithGoogle(
	page: Page,
	who: TestAccount,
	options: { path?: string; consent?: 'Allow' | 'Deny'; holdCallback?: boolean } = {}
): Promise<string | null> {
	await page.goto(web.url + (options.path ?? '/login'));
	const held = options.holdCallback ? provider.holdNextAnswer() : null;
	await page.getByRole('link', { name: 'Continue with Google' }).click();
	await page.waitForURL((url) => url.toString().startsWith(provider.issuer));
	for (let step = 0; step < 4 && onProvider(page); step++) {
		const before = page.url();
		const heading = (await page.locator('h1').textContent()) ?? '';
		if (heading.includes('Answer held')) break;
		if (heading.includes('Sign in')) {
			await page.getByLabel('Account').fill(who.sub);
			await page.getByRole('button', { name: 'Sign in' }).click();
		} else {
			await page.getByRole('button', { name: options.consent ?? 'Allow' }).click();
		}
		await page.waitForURL((url) => url.toString() !== before);
		await page.waitForLoadState();
	}
	return held ? await held : null;
}

const sessionCookie = async (context: BrowserContext) =>
	(await context.cookies(web.url)).find((c) => c.name === 'dispatch_session');

async function passwordUser(email: string) {
	const now = new Date();
	const _id = randomId();
	await database.collections.users.insertOne({
		_id,
		email,
		name: 'Lena Linked',
		role: 'customer',
		passwordHash: await hashPassword(PASSWORD),
		emailVerifiedAt: now,
		createdAt: now,
		updatedAt: now
	});
	return _id;
}

describe('Continue with Google in the browser', () => {
	it('shows the button on the login and register pages (screenshots)', async () => {
		for (const [label, viewport] of Object.entries(VIEWPORTS)) {
			const { page } = await newPage(viewport);
			await page.goto(`${web.url}/login`);
			await page.getByRole('link', { name: 'Continue with Google' }).waitFor();
			await screenshot(page, `google-login-${label}`);
			await page.goto(`${web.url}/register`);
			await page.getByRole('link', { name: 'Continue with Google' }).waitFor();
			await screenshot(page, `google-register-${label}`);
		}
	});

	it('a new customer: Google, then "Order food", signed in', async () => {
		const { context, page } = await newPage(VIEWPORTS.phone);
		const who = account();
		await continueWithGoogle(page, who);
		await page.waitForURL(`${web.url}/register/google`);
		await page.getByRole('heading', { name: 'Finish creating your account' }).waitFor();
		await page.getByText(who.email).waitFor();
		expect(await page.getByLabel('Your name').inputValue()).toBe(who.name);
		await screenshot(page, 'google-finish-phone');
		expect(await sessionCookie(context)).toBeUndefined();
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.waitForURL(`${web.url}/`);
		const user = await database.collections.users.findOne({ email: who.email });
		expect(user).toMatchObject({ role: 'customer', passwordHash: null });
		expect(await sessionCookie(context)).toBeDefined();

		await page.goto(`${web.url}/account`);
		await page.getByRole('heading', { name: 'Google' }).waitFor();
		await page.getByText('You log in with Google and have no password yet.').waitFor();
		await screenshot(page, 'google-account-google-only-phone');
	});

	it('a new partner: the vehicle profile comes first, then the partner app', async () => {
		const { page } = await newPage(VIEWPORTS.desktop);
		const who = account();
		await continueWithGoogle(page, who, { path: '/register' });
		await page.waitForURL(`${web.url}/register/google`);
		await page
			.locator('html[data-hydrated]')
			.waitFor({ state: 'attached' })
			.catch(() => undefined);
		await page.getByLabel('Deliver orders').check();
		await page.getByLabel('Phone').fill('+44 20 7946 0002');
		await page.getByLabel('Vehicle').selectOption('bicycle');
		await screenshot(page, 'google-finish-partner-desktop');
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.waitForURL(`${web.url}/partner`);
		const user = await database.collections.users.findOne({ email: who.email });
		expect(user).toMatchObject({
			role: 'partner',
			partner: { phone: '+44 20 7946 0002', vehicle: 'bicycle', available: false }
		});
	});

	it('links an existing account after its password; then both ways work, and unlinking', async () => {
		const email = `lena-${Date.now().toString(36)}@example.com`;
		const userId = await passwordUser(email);
		const who = account({ email });
		for (const [label, viewport] of Object.entries(VIEWPORTS)) {
			if (label === 'desktop') continue;
			const { context, page } = await newPage(viewport);
			await continueWithGoogle(page, who);
			await page.waitForURL(`${web.url}/login/google/link`);
			await page.getByRole('heading', { name: 'Link your Google account' }).waitFor();
			await page.locator('form[data-enhanced]').waitFor({ state: 'attached' });
			await page.getByLabel('Password of your Dispatch account').fill('not the password');
			await page.getByRole('button', { name: 'Link and log in' }).click();
			await page
				.getByRole('alert')
				.filter({ hasText: 'not the password of this account' })
				.waitFor();
			expect(await sessionCookie(context)).toBeUndefined();
			await screenshot(page, `google-link-wrong-password-${label}`);
			await page.getByLabel('Password of your Dispatch account').fill(PASSWORD);
			await page.getByRole('button', { name: 'Link and log in' }).click();
			await page.waitForURL(`${web.url}/`);
			expect(await sessionCookie(context)).toBeDefined();
		}
		expect(await database.collections.userIdentities.countDocuments({ userId })).toBe(1);

		// by Google again: straight in
		const { context, page } = await newPage(VIEWPORTS.desktop);
		await continueWithGoogle(page, who);
		await page.waitForURL(`${web.url}/`);
		expect(await sessionCookie(context)).toBeDefined();
		// the account page shows the link and unlinks it (a password exists)
		await page.goto(`${web.url}/account`);
		await page.getByText('Linked', { exact: true }).waitFor();
		await screenshot(page, 'google-account-linked-desktop');
		await page.getByRole('button', { name: 'Unlink Google' }).click();
		await page.getByText('Google is unlinked.').waitFor();
		expect(await database.collections.userIdentities.countDocuments({ userId })).toBe(0);
	});

	it('a wrong state, a replayed code, denied consent, a tampered ID token: a message, no session', async () => {
		const who = account();
		const cases: Array<{
			name: string;
			text: RegExp;
			run: (page: Page, context: BrowserContext) => Promise<void>;
		}> = [
			{
				name: 'wrong-state',
				text: /could not be matched to this browser/,
				async run(page) {
					const held = await continueWithGoogle(page, who, { holdCallback: true });
					const url = new URL(held!);
					url.searchParams.set('state', 'someone-elses-state');
					await page.goto(url.toString());
				}
			},
			{
				name: 'replayed-code',
				text: /already used or has expired/,
				async run(page, context) {
					const held = await continueWithGoogle(page, who, { holdCallback: true });
					const flow = (await context.cookies()).filter((c) => c.name === 'dispatch_oidc');
					expect(flow).toHaveLength(1);
					await page.goto(held!); // the first use: the signup form
					await page.waitForURL(`${web.url}/register/google`);
					// the same answer again, with the flow cookie put back (as a thief holding both would)
					await context.addCookies(flow);
					await page.goto(held!);
				}
			},
			{
				name: 'denied',
				text: /You cancelled signing in with Google/,
				async run(page) {
					await continueWithGoogle(page, account(), { consent: 'Deny' });
				}
			},
			{
				name: 'tampered',
				text: /could not be verified/,
				async run(page) {
					const held = await continueWithGoogle(page, account(), { holdCallback: true });
					provider.tamperNextIdToken({ email: 'admin@dispatch.local', email_verified: true });
					await page.goto(held!);
				}
			}
		];
		for (const c of cases) {
			const { context, page } = await newPage(
				c.name === 'denied' ? VIEWPORTS.phone : VIEWPORTS.desktop
			);
			await c.run(page, context).catch((err: unknown) => {
				throw new Error(`${c.name}: stuck on ${page.url()}`, { cause: err });
			});
			await page.waitForURL(/\/login\?google=/).catch((err: unknown) => {
				throw new Error(`${c.name}: ended on ${page.url()}`, { cause: err });
			});
			const alert = page.getByRole('alert').filter({ hasText: c.text });
			await alert.waitFor();
			expect(await sessionCookie(context), c.name).toBeUndefined();
			await screenshot(page, `google-refused-${c.name}`);
		}
	});
});
