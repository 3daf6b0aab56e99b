// Pages reached only inside the app reload offline, in Chromium against the
// real built web app with a real loss of connectivity (offline-stack.ts). A partner and a customer
// each log in through the login form and then move around only by links and forms (client-side
// navigations: SvelteKit fetches just the page's data, never the page). With the network cut,
// every page they saw reloads with its data from IndexedDB; the partner's list shows the feed
// copy on the device, not the older page the worker kept; a page never opened says so; and the
// installed app's start URL opens each person's own home offline too (item 3).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MENU } from '../../src/lib/catalog/demo-menu.ts';
import { orderDocName } from '../../src/lib/order/index.ts';
import { hashPassword } from '../../src/lib/server/auth/password.ts';
import { launchBrowser, screenshot } from '../support/browser.ts';
import {
	connection,
	goOffline,
	goOnline,
	localDatabases,
	pwaContext,
	startOfflineStack,
	whenControlled,
	type OfflineStack
} from '../support/offline-stack.ts';
import { person, placeOrder, ref, type Person } from '../support/live-stack.ts';

const PASSWORD = 'offline navigation password';

let stack: OfflineStack;
let browser: Browser;
let customer: Person;
let sam: Person;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	stack = await startOfflineStack('offline_navigation');
	browser = await launchBrowser();
	customer = await person(stack, 'customer', 'Casey Customer');
	sam = await person(stack, 'partner', 'Sam Rider');
	const passwordHash = await hashPassword(PASSWORD);
	await stack.database.collections.users.updateMany(
		{ _id: { $in: [customer.userId, sam.userId] } },
		{ $set: { passwordHash } }
	);
});

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => undefined);
	await browser?.close();
	await stack?.stop();
});

const emailOf = (who: Person) => `${who.userId}@test.invalid`;
const hydrated = (page: Page) =>
	page.locator('html[data-hydrated]').waitFor({ state: 'attached', timeout: 30_000 });

/** A fresh installed-app profile that logs in through the form (the only full page load). */
async function loggedIn(
	who: Person,
	home: string
): Promise<{ context: BrowserContext; page: Page }> {
	const context = await pwaContext(browser, stack, null);
	contexts.push(context);
	const page = await context.newPage();
	await page.goto(`${stack.web.url}/login`);
	await hydrated(page);
	await page.locator('form[data-enhanced]').first().waitFor({ state: 'attached' });
	await page.getByLabel('Email').fill(emailOf(who));
	await page.getByLabel('Password').fill(PASSWORD);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(`${stack.web.url}${home}`);
	await whenControlled(page);
	return { context, page };
}

/** The pages the worker keeps (pathnames). */
function keptPages(page: Page): Promise<string[]> {
	return page.evaluate(async () => {
		const cache = await caches.open('dispatch-pages');
		return (await cache.keys())
			.map((request) => new URL(request.url))
			.filter((url) => !url.pathname.endsWith('__data.json'))
			.map((url) => url.pathname);
	});
}

async function waitUntilKept(page: Page, paths: string[]): Promise<void> {
	await expect
		.poll(
			async () => {
				const kept = await keptPages(page);
				return paths.filter((path) => !kept.includes(path));
			},
			{ timeout: 20_000 }
		)
		.toEqual([]);
}

/** Opens `path` with no network (what a reload does) and waits for the app to take over. */
async function reopenOffline(page: Page, path: string): Promise<void> {
	await page.goto(`${stack.web.url}${path}`);
	await hydrated(page);
	await expect.poll(() => connection(page).getAttribute('data-state')).toBe('offline');
}

const nav = (page: Page, name: string) =>
	page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

describe('pages reached inside the app', () => {
	it('the partner: every page seen reloads offline with its data; the list shows the device copy', async () => {
		const orderId = await placeOrder(customer, { city: 'Bristol' });
		const { context, page } = await loggedIn(sam, '/partner');
		await page.getByText('Bristol').first().waitFor();

		// Only links and forms from here on.
		await nav(page, 'My deliveries').click();
		await page.waitForURL(/\/partner\/orders$/);
		await page.getByText('Nothing to deliver right now').waitFor();
		await nav(page, 'Open orders').click();
		await page.waitForURL(/\/partner$/);
		const card = page.getByRole('listitem').filter({ hasText: ref(orderId) });
		await card.getByRole('button', { name: /Claim/ }).click();
		await page.waitForURL(new RegExp(`/partner/orders/${orderId}$`));
		await page.getByText('12 Baker Street').waitFor();
		await page.getByText('Live', { exact: true }).waitFor();
		await page.getByRole('button', { name: 'Start preparing' }).click();
		await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Preparing' }).waitFor();
		await page.getByRole('link', { name: '← My deliveries' }).click();
		await page.waitForURL(/\/partner\/orders$/);
		await page
			.getByRole('listitem')
			.filter({ hasText: ref(orderId) })
			.getByText('Preparing')
			.waitFor();
		await nav(page, 'Profile').click();
		await page.waitForURL(/\/partner\/profile$/);
		await page.getByRole('heading', { level: 1 }).waitFor();
		expect(await localDatabases(page)).toContain(`dispatch/${sam.userId}/${orderDocName(orderId)}`);
		await waitUntilKept(page, [
			'/partner',
			'/partner/orders',
			`/partner/orders/${orderId}`,
			'/partner/profile'
		]);
		// The kept copy of the list is the one from before the claim ("nothing to deliver").
		const keptList = await page.evaluate(async () => {
			const cache = await caches.open('dispatch-pages');
			return (await cache.match('/partner/orders'))?.text();
		});
		expect(keptList).toContain('Nothing to deliver right now');

		await goOffline(stack, context);

		await reopenOffline(page, '/partner/orders');
		// The feed on the device (the order, preparing), not the kept page's empty list.
		const entry = page.getByRole('listitem').filter({ hasText: ref(orderId) });
		await entry.getByText('Preparing').waitFor();
		expect(await page.getByText('Nothing to deliver right now').count()).toBe(0);
		await screenshot(page, 'offline-nav-partner-deliveries-phone');

		await reopenOffline(page, `/partner/orders/${orderId}`);
		await page.getByText('12 Baker Street').waitFor();
		await page.getByText('Ring twice').waitFor();
		await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Preparing' }).waitFor();
		await page.getByText('Offline: showing the last known state').waitFor();

		await reopenOffline(page, '/partner');
		await page.getByRole('heading', { level: 1, name: 'Open orders' }).waitFor();
		// claimed meanwhile: the device's copy of the open orders no longer has it
		await expect.poll(() => page.getByText(ref(orderId)).count()).toBe(0);

		await reopenOffline(page, '/partner/profile');
		await page.getByRole('heading', { level: 1 }).waitFor();

		// The installed app starts on the partner's home, offline as well.
		await page.goto(`${stack.web.url}/start`);
		await page.waitForURL(`${stack.web.url}/partner`);
		await hydrated(page);
		await page.getByRole('heading', { level: 1, name: 'Open orders' }).waitFor();

		// A page never opened on this device says so.
		await page.goto(`${stack.web.url}/account`);
		await page.getByTestId('offline-fallback').waitFor();
		await page.getByText('This page hasn’t been opened on this device yet').waitFor();

		await goOnline(stack, context);
		await page.goto(`${stack.web.url}/start`);
		await page.waitForURL(`${stack.web.url}/partner`);
	});

	it('the customer: shop, cart, checkout, the order and the order list reload offline', async () => {
		const { context, page } = await loggedIn(customer, '/');
		const dish = DEMO_MENU.find((product) => product.available)!;
		await page.getByRole('button', { name: `Add ${dish.name} to cart` }).click();
		await page.getByRole('link', { name: /cart/i }).first().click();
		await page.waitForURL(/\/cart$/);
		await page.getByRole('link', { name: 'Go to checkout' }).click();
		await page.waitForURL(/\/checkout$/);
		await page.getByLabel('Street and number').fill('7 Quay Street');
		await page.getByLabel('City').fill('Cardiff');
		await page.getByLabel('Postcode').fill('CF10 1EA');
		await page.getByLabel('Phone').fill('+44 29 2000 0000');
		await page.getByRole('button', { name: /Place order/ }).click();
		await page.waitForURL(/\/orders\/[a-z0-9]+$/);
		const orderId = new URL(page.url()).pathname.split('/').pop()!;
		await page.getByText('Waiting for a delivery partner').first().waitFor();
		await page.getByText('Live', { exact: true }).waitFor();
		await nav(page, 'My orders').click();
		await page.waitForURL(/\/orders$/);
		await page.getByText(ref(orderId)).first().waitFor();
		await waitUntilKept(page, ['/', '/cart', '/checkout', `/orders/${orderId}`, '/orders']);

		await goOffline(stack, context);

		await reopenOffline(page, `/orders/${orderId}`);
		await page.getByText('Waiting for a delivery partner').first().waitFor();
		await page.getByText('7 Quay Street').first().waitFor();
		await screenshot(page, 'offline-nav-customer-order-phone');
		await reopenOffline(page, '/orders');
		await page.getByText(ref(orderId)).first().waitFor();
		await reopenOffline(page, '/');
		await page
			.getByRole('button', { name: new RegExp(dish.name) })
			.first()
			.waitFor();
		await reopenOffline(page, '/cart');
		await page.getByRole('heading', { level: 1 }).waitFor();
		await reopenOffline(page, '/checkout');
		await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();

		await page.goto(`${stack.web.url}/start`);
		await page.waitForURL(`${stack.web.url}/`);
		await hydrated(page);
		await goOnline(stack, context);
	});
});
