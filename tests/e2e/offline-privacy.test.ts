// Logout privacy in Chromium: a partner uses the app (documents in IndexedDB, pages in the service
// worker's cache, sync bookkeeping in localStorage), logs out with the header's button, and
// another partner signs in on the same browser profile: none of the first one's documents, cached
// pages or keys are left — checked in IndexedDB itself (`indexedDB.databases()`), in CacheStorage
// and in localStorage — and offline the second one cannot open the first one's order page.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderDocName } from '../../src/lib/order/index.ts';
import { launchBrowser } from '../support/browser.ts';
import {
	localDatabases,
	openPath,
	pwaContext,
	startOfflineStack,
	whenControlled,
	type OfflineStack
} from '../support/offline-stack.ts';
import { person, placeOrder, type Person } from '../support/live-stack.ts';

let stack: OfflineStack;
let browser: Browser;
let customer: Person;
let sam: Person;
let priya: Person;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	stack = await startOfflineStack('offline_privacy');
	browser = await launchBrowser();
	customer = await person(stack, 'customer', 'Casey Customer');
	sam = await person(stack, 'partner', 'Sam Rider');
	priya = await person(stack, 'partner', 'Priya Wheels');
});

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => undefined);
	await browser?.close();
	await stack?.stop();
});

interface LocalState {
	databases: string[];
	caches: string[];
	cachedPages: string[];
	keys: string[];
}

async function localState(page: Page): Promise<LocalState> {
	const databases = await localDatabases(page);
	const rest = await page.evaluate(async () => {
		const names = await caches.keys();
		const cachedPages: string[] = [];
		for (const name of names.filter((n) => !n.startsWith('workbox-precache'))) {
			for (const request of await (await caches.open(name)).keys()) {
				cachedPages.push(new URL(request.url).pathname);
			}
		}
		return { caches: names, cachedPages, keys: Object.keys(localStorage).sort() };
	});
	return { databases, ...rest };
}

describe('logout privacy', () => {
	it('another account on the same browser sees nothing of the previous one', async () => {
		const orderId = await placeOrder(customer);
		expect((await sam.api('POST', `/api/orders/${orderId}/claim`)).status).toBe(200);

		const context = await pwaContext(browser, stack, sam);
		contexts.push(context);
		const page = await context.newPage();
		await openPath(page, stack, '/partner/orders');
		await whenControlled(page);
		await openPath(page, stack, `/partner/orders/${orderId}`);
		await page.getByText('12 Baker Street').waitFor();
		await page.getByText('Live', { exact: true }).waitFor();
		// Something not yet on the server, so the sync bookkeeping has entries too.
		await page.getByRole('button', { name: 'Start preparing' }).click();

		const samPrefix = `dispatch/${sam.userId}/`;
		await expect
			.poll(async () => (await localDatabases(page)).filter((n) => n.startsWith(samPrefix)))
			.toContain(`${samPrefix}${orderDocName(orderId)}`);
		const before = await localState(page);
		expect(before.cachedPages).toContain(`/partner/orders/${orderId}`);
		expect(before.keys.some((key) => key.includes(sam.userId))).toBe(true);
		// writes carried over a refused copy (synced-doc's rebase), under their name and the name
		// an older version gave them: logging out takes both
		await page.evaluate((userId) => {
			localStorage.setItem(`dispatch:rebase/${userId}/order/carried`, '{"events":[]}');
			localStorage.setItem(`dispatch/rebase/${userId}/order/carried`, '{"events":[]}');
		}, sam.userId);

		// Everything confirmed (otherwise logging out asks first: the changes would be lost).
		await expect
			.poll(() => page.getByTestId('connection-status').getAttribute('data-pending'))
			.toBe('0');
		// Log out with the header's button (a plain form POST, then the login page).
		await page.getByRole('button', { name: 'Log out' }).click();
		await page.waitForURL(/\/login/);
		await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		await expect
			.poll(async () => {
				const state = await localState(page);
				return {
					databases: state.databases.filter((n) => n.startsWith('dispatch/')),
					cachedPages: state.cachedPages.filter((p) => p.startsWith('/partner')),
					keys: state.keys.filter((key) => key.includes(sam.userId))
				};
			})
			.toEqual({ databases: [], cachedPages: [], keys: [] });

		// Priya signs in on the same profile.
		await context.addCookies([
			{ name: 'dispatch_session', value: priya.token, url: stack.web.url }
		]);
		await openPath(page, stack, '/partner/orders');
		await page.getByRole('heading', { name: 'My deliveries' }).waitFor();
		const after = await localState(page);
		expect(after.databases.filter((n) => n.startsWith(samPrefix))).toEqual([]);
		expect(
			after.databases.every((n) => !n.startsWith('dispatch/') || n.includes(priya.userId))
		).toBe(true);
		expect(after.keys.filter((key) => key.includes(sam.userId))).toEqual([]);
		expect(await page.content()).not.toContain('12 Baker Street');

		// Offline, Sam's order page is not on this device any more.
		await context.setOffline(true);
		await page.goto(`${stack.web.url}/partner/orders/${orderId}`);
		await page.getByTestId('offline-fallback').waitFor();
		expect(await page.content()).not.toContain('Baker Street');
		await context.close();
	});
});
