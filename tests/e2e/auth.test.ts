// The account pages in a real browser (Debian Chromium via playwright-core) against the built app:
// register a customer, log out, fail and then succeed at logging in; register a partner with
// their profile. Screenshots of the pages at phone and desktop widths go to test-results/.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/lib/shared/db.ts';
import { VIEWPORTS, launchBrowser, screenshot } from '../support/browser.ts';
import { openTestDatabase } from '../support/database.ts';
import { startWebApp, type RunningProcess } from '../support/processes.ts';

const PASSWORD = 'a long browser password';
const stamp = Date.now().toString(36);

let database: Database;
let web: RunningProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	const opened = await openTestDatabase('auth_e2e');
	database = opened.database;
	web = await startWebApp({ MONGODB_URI: opened.uri });
	browser = await launchBrowser();
});

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => {});
	await browser?.close();
	await web?.stop();
	await database?.db.dropDatabase();
	await database?.close();
});

async function newPage(
	viewport: { width: number; height: number } = VIEWPORTS.desktop
): Promise<Page> {
	const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
	contexts.push(context);
	const page = await context.newPage();
	page.setDefaultTimeout(15_000);
	return page;
}

/** Waits until JavaScript has taken over the page's account forms (see PendingForm). */
const hydrated = (page: Page) =>
	page.locator('form[data-enhanced]').first().waitFor({ state: 'attached' });

/** Loads one of the account pages and waits until it is hydrated. */
async function open(page: Page, path: string) {
	await page.goto(web.url + path);
	await hydrated(page);
}

const focusedIsFormMessage = (page: Page) =>
	page.evaluate(() => document.activeElement?.hasAttribute('data-form-message') ?? false);
const focusedName = (page: Page) =>
	page.evaluate(() => document.activeElement?.getAttribute('name') ?? null);

describe('accounts in the browser', () => {
	it('saves screenshots of the login and register pages at phone and desktop widths', async () => {
		for (const [label, viewport] of Object.entries(VIEWPORTS)) {
			const page = await newPage(viewport);
			await open(page, '/login');
			await page.getByRole('heading', { name: 'Log in' }).waitFor();
			await screenshot(page, `auth-login-${label}`);
			await open(page, '/register');
			await screenshot(page, `auth-register-${label}`);
			await page.getByLabel('Deliver orders').check();
			await page.getByLabel('Phone').waitFor();
			await screenshot(page, `auth-register-partner-${label}`);
			await page.getByRole('button', { name: 'Create account' }).click();
			// Native validation stops an empty form; the server's errors show for bad values.
			await page.getByLabel('Your name').fill('Pat Partner');
			await page.getByLabel('Email').fill(`shot-${label}-${stamp}@example.com`);
			await page.getByLabel('Password').fill(PASSWORD);
			await page.getByLabel('Phone').fill('phone?');
			await page.getByLabel('Vehicle').selectOption('car');
			await page.getByRole('button', { name: 'Create account' }).click();
			await page.getByText('Phone must have 7 to 15 digits').waitFor();
			await screenshot(page, `auth-register-errors-${label}`);
		}
	});

	it('registers a customer, logs out, fails with a wrong password, then logs in', async () => {
		const page = await newPage();
		const name = 'Casey Customer';
		const email = `casey-${stamp}@example.com`;

		await open(page, '/register');
		await page.getByLabel('Your name').fill(name);
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.waitForURL(`${web.url}/`);
		await page.locator('header').getByText(name).waitFor();

		const stored = await database.collections.users.findOne({ email });
		expect(stored?.role).toBe('customer');
		expect(await database.collections.outbox.countDocuments({ to: email })).toBe(1);

		await page.locator('header').getByRole('button', { name: 'Log out' }).click();
		await page.waitForURL(/\/login\?notice=signedout$/);
		await page.getByText('You are logged out.').waitFor();
		expect(await database.collections.sessions.countDocuments({ userId: stored!._id })).toBe(0);
		await hydrated(page);

		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password').fill('not my password');
		await page.getByRole('button', { name: 'Log in' }).click();
		const error = page.getByRole('alert').filter({ hasText: 'Email or password is incorrect.' });
		await error.waitFor();
		await expect.poll(() => focusedIsFormMessage(page), { timeout: 5_000 }).toBe(true);
		expect(page.url()).toContain('/login');
		await screenshot(page, 'auth-login-wrong-password-desktop');

		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.waitForURL(`${web.url}/`);
		await page.locator('header').getByText(name).waitFor();
	});

	it('returns to the page that asked for a login (next), and only to same-site pages', async () => {
		const page = await newPage();
		const email = `next-${stamp}@example.com`;
		await open(page, '/register');
		await page.getByLabel('Your name').fill('Nina Next');
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.waitForURL(`${web.url}/`);
		await page.locator('header').getByRole('button', { name: 'Log out' }).click();
		await page.waitForURL(/\/login/);

		await open(page, '/account');
		expect(page.url()).toBe(`${web.url}/login?next=%2Faccount`);
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.waitForURL(`${web.url}/account`);
		await page.getByRole('heading', { name: 'Your account' }).waitFor();

		await page.locator('main').getByRole('button', { name: 'Log out' }).click();
		await page.waitForURL(/\/login/);
		await open(page, `/login?next=${encodeURIComponent('//evil.example/steal')}`);
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.waitForURL(`${web.url}/`);
	});

	it('registers a partner with a phone and vehicle, fixing a bad phone on the way', async () => {
		const page = await newPage(VIEWPORTS.phone);
		const email = `pat-${stamp}@example.com`;
		await open(page, '/register');
		await page.getByLabel('Deliver orders').check();
		await page.getByLabel('Your name').fill('Pat Partner');
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByLabel('Phone').fill('12');
		await page.getByLabel('Vehicle').selectOption('bicycle');
		await page.getByRole('button', { name: 'Create account' }).click();

		await page.getByText('Phone must have 7 to 15 digits').waitFor();
		await expect.poll(() => focusedName(page), { timeout: 5_000 }).toBe('partner.phone');
		expect(await page.getByLabel('Phone').getAttribute('aria-invalid')).toBe('true');
		// What was typed is kept (except the password, which is never sent back).
		expect(await page.getByLabel('Your name').inputValue()).toBe('Pat Partner');
		expect(await page.getByLabel('Deliver orders').isChecked()).toBe(true);
		expect(await database.collections.users.countDocuments({ email })).toBe(0);

		await page.getByLabel('Phone').fill('+44 7700 900123');
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.waitForURL((url) => url.pathname === '/partner');

		const stored = await database.collections.users.findOne({ email });
		expect(stored).toMatchObject({
			role: 'partner',
			partner: { phone: '+44 7700 900123', vehicle: 'bicycle', available: false }
		});

		await open(page, '/account');
		await page.getByText('Delivery partner').waitFor();
		expect(await page.getByLabel('Phone').inputValue()).toBe('+44 7700 900123');
		await screenshot(page, 'auth-account-partner-phone');
	});
});
