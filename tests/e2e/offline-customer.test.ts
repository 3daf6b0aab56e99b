// A customer placing an order with no network, in Chromium against the real web app: the order
// is queued on the device (the page says so, the header counts it), survives a reload offline,
// and is sent by itself when the network returns — exactly once, with the cart's Idempotency-Key —
// after which the page moves on to the live order.
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MENU } from '../../src/lib/catalog/demo-menu.ts';
import { launchBrowser, screenshot } from '../support/browser.ts';
import {
	connection,
	goOffline,
	goOnline,
	openPath,
	pwaContext,
	startOfflineStack,
	whenControlled,
	type OfflineStack
} from '../support/offline-stack.ts';
import { headerRowGap, person, placeOrder, ref, type Person } from '../support/live-stack.ts';

let stack: OfflineStack;
let browser: Browser;
let customer: Person;
let partner: Person;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	stack = await startOfflineStack('offline_customer');
	browser = await launchBrowser();
	customer = await person(stack, 'customer', 'Casey Customer');
	partner = await person(stack, 'partner', 'Sam Rider');
});

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => undefined);
	await browser?.close();
	await stack?.stop();
});

const MARGHERITA = DEMO_MENU.find((p) => p.id === 'margherita')!;
const customersOrders = () =>
	stack.database.collections.orders.find({ customerId: customer.userId }).toArray();

describe('ordering offline', () => {
	it('queues the order, keeps it across a reload, and sends it once when back online', async () => {
		const context = await pwaContext(browser, stack, customer);
		contexts.push(context);
		const page = await context.newPage();
		await openPath(page, stack, '/');
		await whenControlled(page);
		await openPath(page, stack, '/');
		await page.getByRole('button', { name: `Add ${MARGHERITA.name} to cart` }).click();
		await openPath(page, stack, '/checkout');

		await context.setOffline(true);
		await page.getByLabel('Street and number').fill('221B Baker Street');
		await page.getByLabel('City').fill('London');
		await page.getByLabel('Postcode').fill('NW1 6XE');
		await page.getByLabel('Phone').fill('+44 20 7946 0018');
		await page.getByRole('button', { name: /Place order/ }).click();

		const queued = page.getByTestId('order-queued');
		await queued.getByText('Your order will be sent when you’re back online').waitFor();
		await connection(page).getByText('1 change not synced').waitFor();
		// "Offline | 1 unsent", the cart, the account and log out fit on the logo's row
		expect(await headerRowGap(page)).toBeLessThan(4);
		await screenshot(page, 'offline-checkout-queued-phone');
		expect(await customersOrders()).toEqual([]);

		// Still queued after a reload with no network (the page comes from the service worker).
		await page.reload();
		await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		await queued.waitFor();
		// The queued order can still be changed: the form shows it, the button says so, and
		// updates it (still one order).
		expect(await page.getByLabel('Street and number').inputValue()).toBe('221B Baker Street');
		expect(await page.getByLabel('City').inputValue()).toBe('London');
		await page.getByLabel('City').fill('Bath');
		await page.getByRole('button', { name: /^Update the order/ }).click();
		await queued.waitFor();
		expect(await page.getByRole('button', { name: /^Place order/ }).count()).toBe(0);

		await context.setOffline(false);
		await page.waitForURL(/\/orders\/[a-z0-9]+$/, { timeout: 20_000 });
		const orderId = new URL(page.url()).pathname.split('/').pop()!;
		await page.getByRole('heading', { level: 2, name: 'Waiting for a delivery partner' }).waitFor();
		await expect.poll(() => connection(page).getAttribute('data-pending')).toBe('0');
		const orders = await customersOrders();
		expect(orders.map((order) => order._id)).toEqual([orderId]);
		expect(orders[0]?.total).toBeGreaterThan(0);
		expect(orders[0]?.city).toBe('Bath');
		// The cart did its job.
		expect(await page.evaluate(() => localStorage.getItem('dispatch:cart'))).not.toContain(
			MARGHERITA.id
		);
		await context.close();
	});

	it('a cancel made offline that a claim overtook is refused with the reason, and nothing else is lost', async () => {
		const orderId = await placeOrder(customer);
		const context = await pwaContext(browser, stack, customer);
		contexts.push(context);
		const page = await context.newPage();
		await openPath(page, stack, `/orders/${orderId}`);
		await whenControlled(page);
		const heading = (name: string | RegExp) => page.getByRole('heading', { level: 2, name });
		await heading('Waiting for a delivery partner').waitFor();
		await page.getByText('Live', { exact: true }).waitFor();

		await goOffline(stack, context);
		await page.getByRole('button', { name: 'Cancel order' }).click();
		await page.getByRole('button', { name: 'Yes, cancel order' }).click();
		// written on the device: shown at once as a request, counted as not synced
		await heading('Cancellation waiting to be sent').waitFor();
		const badge = page.locator('main .status-card [data-status="cancelled"][data-unsent]');
		expect((await badge.textContent())?.trim()).toBe('Cancelled · not sent yet');
		await page.locator('main .status-card li.cancelled').getByText('Not sent yet').waitFor();
		await connection(page).getByText('1 change not synced').waitFor();
		// "Offline | 1 unsent", the cart, the account and log out fit on the logo's row
		expect(await headerRowGap(page)).toBeLessThan(4);
		// not "nothing to pay" yet: the cancel may still be refused
		expect(await page.locator('.payment').innerText()).toBe(
			'Nothing to pay once the cancellation goes through.'
		);
		await screenshot(page, 'offline-customer-cancel-pending-phone');

		// meanwhile a partner claims the order
		expect((await partner.api('POST', `/api/orders/${orderId}/claim`)).status).toBe(200);

		await goOnline(stack, context);
		const problem = page
			.getByRole('alert')
			.filter({ hasText: `Your “Cancel order” on order ${ref(orderId)} did not apply` });
		await problem.waitFor({ timeout: 20_000 });
		await problem.getByText(/a partner had already accepted the order/).waitFor();
		// said once, where the order is: no toast repeating it
		expect(await page.locator('.toaster .toast').count()).toBe(0);
		await heading('Sam Rider accepted your order').waitFor();
		await expect.poll(() => connection(page).getAttribute('data-pending')).toBe('0');
		expect(await page.getByText('Not sent yet').count()).toBe(0);
		await screenshot(page, 'offline-customer-cancel-refused-phone');
		const row = await stack.database.collections.orders.findOne({ _id: orderId });
		expect(row?.status).toBe('accepted');

		// the refused cancel is gone from the device: a reload syncs without another refusal
		await page.reload();
		await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		await heading('Sam Rider accepted your order').waitFor();
		await page.getByText('Live', { exact: true }).waitFor();
		await page.waitForTimeout(500);
		expect(await page.getByText('did not apply').count()).toBe(0);
		await context.close();
	});
});
