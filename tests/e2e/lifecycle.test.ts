// The whole order lifecycle in real browsers, three roles at once (a customer, a partner, an admin)
// plus a second partner, against the real web app, sync-server and FerretDB. Nothing is reloaded
// after it is opened: every change reaches the other pages live.
//
//   place (customer UI) → on the admin board and both partners' open lists → partner claims (the
//   second partner sees it go, and is told "taken" on a stale card) → preparing → out for delivery
//   → delivered (confirmed) → the customer saw every step → the customer rates → the partner's
//   average follows. Then the cancel paths: the customer cancels while pending; an admin cancels
//   an accepted order and the partner sees it cancelled.
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MENU } from '../../src/lib/catalog/demo-menu.ts';
import { launchBrowser, screenshot, VIEWPORTS } from '../support/browser.ts';
import {
	eventually,
	open,
	person,
	placeOrder,
	ref,
	signedInPage,
	startLiveStack,
	type LiveStack,
	type Person
} from '../support/live-stack.ts';

let stack: LiveStack;
let browser: Browser;
let customer: Person;
let sam: Person;
let priya: Person;
let ada: Person;
const contexts: BrowserContext[] = [];

// One page per role, opened once and never reloaded.
let customerPage: Page;
let samPage: Page;
let priyaPage: Page;
let adminPage: Page;
let orderId = '';

const [FIRST, SECOND] = DEMO_MENU.filter((product) => product.available);

beforeAll(async () => {
	stack = await startLiveStack('lifecycle');
	browser = await launchBrowser();
	customer = await person(stack, 'customer', 'Casey Customer');
	sam = await person(stack, 'partner', 'Sam Rider');
	priya = await person(stack, 'partner', 'Priya Wheels');
	ada = await person(stack, 'admin', 'Ada Admin');
});

afterAll(async () => {
	if (process.env.DEBUG_E2E) console.log(stack?.web.output(), stack?.sync.output());
	for (const context of contexts) await context.close().catch(() => undefined);
	await browser?.close();
	await stack?.stop();
});

async function pageFor(
	who: Person,
	viewport: { width: number; height: number } = VIEWPORTS.desktop
) {
	const { context, page } = await signedInPage(browser, stack, who, viewport);
	contexts.push(context);
	return page;
}

const card = (scope: Page | Locator, id: string) => scope.locator(`article[data-order-id="${id}"]`);
const boardColumn = (page: Page, label: string) =>
	page.getByRole('region', { name: new RegExp(`^${label} \\d+ orders?$`) });
const stat = (page: Page, label: string) => page.locator(`dd[data-stat="${label}"]`);
/** The customer's order page shows this status (its badge carries `data-status`). */
const customerSees = (status: string) =>
	customerPage.locator(`main .status-card [data-status="${status}"]`).waitFor();

/** Places an order through the customer's shop, cart and checkout pages; returns its id. */
async function checkout(page: Page, city: string): Promise<string> {
	await open(page, stack, '/');
	await page.getByRole('button', { name: `Add ${FIRST!.name} to cart` }).click();
	await page.getByRole('button', { name: `Add ${SECOND!.name} to cart` }).click();
	await open(page, stack, '/cart');
	await page.getByRole('link', { name: 'Go to checkout' }).click();
	await page.waitForURL(`${stack.web.url}/checkout`);
	await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
	await page.getByLabel('Street and number').fill('221B Baker Street');
	await page.getByLabel('City').fill(city);
	await page.getByLabel('Postcode').fill('NW1 6XE');
	await page.getByLabel('Delivery notes').fill('Blue door');
	await page.getByLabel('Phone').fill('+44 20 7946 0001');
	await page.getByRole('radio', { name: /^Card/ }).check();
	await page.getByRole('button', { name: /^Place order/ }).click();
	await page.waitForURL(/\/orders\/[a-z0-9]+/);
	await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
	const id = new URL(page.url()).pathname.split('/').pop()!;
	expect(id).toMatch(/^[a-z0-9]+$/);
	return id;
}

describe('an order from placing to rating', () => {
	it('opens every role’s live page', async () => {
		adminPage = await pageFor(ada);
		await open(adminPage, stack, '/admin');
		samPage = await pageFor(sam, VIEWPORTS.phone);
		await open(samPage, stack, '/partner');
		priyaPage = await pageFor(priya);
		await open(priyaPage, stack, '/partner');
		for (const page of [adminPage, samPage, priyaPage]) {
			await page.getByText('Live', { exact: true }).first().waitFor();
		}
		customerPage = await pageFor(customer);
	});

	it('is placed through checkout and appears on the board and both open lists without a reload', async () => {
		orderId = await checkout(customerPage, 'Camden');
		await customerSees('pending');
		await customerPage.getByText('No partner yet').waitFor();

		await card(boardColumn(adminPage, 'Pending'), orderId).waitFor();
		await stat(adminPage, 'Placed').filter({ hasText: /^1$/ }).waitFor();
		for (const page of [samPage, priyaPage]) {
			const open = card(page, orderId);
			await open.waitFor();
			await open.getByText('New', { exact: true }).waitFor();
			await expect(open.textContent()).resolves.toContain('Camden');
		}
		await screenshot(customerPage, 'lifecycle-customer-pending-desktop');
		await screenshot(samPage, 'lifecycle-partner-open-phone');
		await screenshot(adminPage, 'lifecycle-admin-pending-desktop');
	});

	it('is claimed by one partner; the other sees it go, and is told it is taken on a stale card', async () => {
		// Priya's second device lags behind: its sync socket is held back, so its list is stale.
		const stalePage = await pageFor(priya, VIEWPORTS.phone);
		await stalePage.routeWebSocket(/.*/, () => undefined);
		await open(stalePage, stack, '/partner');
		await card(stalePage, orderId).waitFor();

		await card(samPage, orderId).getByRole('button', { name: 'Claim' }).click();
		await samPage.waitForURL(`${stack.web.url}/partner/orders/${orderId}`);
		await card(priyaPage, orderId).waitFor({ state: 'detached' });

		await card(stalePage, orderId).getByRole('button', { name: 'Claim' }).click();
		await stalePage
			.locator('main')
			.getByRole('alert')
			.filter({ hasText: 'Taken by someone else' })
			.waitFor();
		await card(stalePage, orderId).waitFor({ state: 'detached' });
		await screenshot(stalePage, 'lifecycle-partner-taken-phone');

		await customerSees('accepted');
		await customerPage.getByText('Sam Rider').first().waitFor();
		await card(boardColumn(adminPage, 'Accepted'), orderId).getByText('Sam Rider').waitFor();
	});

	it('moves through preparing and out for delivery to delivered, seen live by customer and admin', async () => {
		await samPage.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		await samPage.getByRole('link', { name: 'Call +44 20 7946 0001' }).waitFor();
		await samPage.getByText('Blue door').waitFor();

		await samPage.getByRole('button', { name: 'Start preparing' }).click();
		await customerSees('preparing');
		await card(boardColumn(adminPage, 'Preparing'), orderId).waitFor();

		await samPage.getByRole('button', { name: 'Out for delivery' }).click();
		await customerSees('out_for_delivery');
		// paid by card at the door (chosen at checkout): no cash to collect
		await expect
			.poll(() => samPage.locator('.payment').innerText())
			.toMatch(/^Card on delivery: collect \$\d+\.\d\d by card from the customer\.$/);
		expect(await samPage.getByText('Cash on delivery').count()).toBe(0);
		await card(boardColumn(adminPage, 'Out for delivery'), orderId).waitFor();
		await screenshot(samPage, 'lifecycle-partner-out-phone');
		await screenshot(customerPage, 'lifecycle-customer-on-the-way-desktop');

		await samPage.getByRole('button', { name: 'Mark delivered' }).click();
		const dialog = samPage.getByRole('dialog', { name: `Mark order ${ref(orderId)} delivered?` });
		await dialog.getByRole('button', { name: 'Yes, it’s delivered' }).click();
		await customerSees('delivered');
		await stat(adminPage, 'Delivered').filter({ hasText: /^1$/ }).waitFor();
		await card(adminPage, orderId).waitFor({ state: 'detached' });
		await adminPage
			.getByRole('region', { name: /^Finished today/ })
			.getByRole('link', { name: ref(orderId) })
			.waitFor();

		// The customer's page listed every step as it happened, each by its author.
		const progress = customerPage.getByRole('list', { name: 'Order progress' });
		for (const step of ['Placed', 'Accepted', 'Preparing', 'Out for delivery', 'Delivered']) {
			await progress.getByText(step, { exact: true }).waitFor();
		}
		expect(await progress.getByText('by Sam Rider (partner)').count()).toBe(4);
		const row = await eventually(
			() => stack.database.collections.orders.findOne({ _id: orderId }),
			(r) => r?.status === 'delivered',
			'the index to show delivered'
		);
		expect(row?.partnerId).toBe(sam.userId);
	});

	it('is rated by the customer, and the partner’s average follows', async () => {
		const profile = await pageFor(sam);
		await open(profile, stack, '/partner/profile');
		await profile.getByText('Live', { exact: true }).waitFor();
		await profile.getByText('No ratings yet').first().waitFor();

		await customerPage.getByRole('heading', { name: 'Rate your delivery' }).waitFor();
		await customerPage.getByRole('radio', { name: /^4 stars/ }).check();
		await customerPage.getByLabel('Comment').fill('Fast and friendly');
		await customerPage.getByRole('button', { name: 'Send rating' }).click();
		await customerPage.getByRole('heading', { name: 'Your rating' }).waitFor();
		await screenshot(customerPage, 'lifecycle-customer-rated-desktop');

		await profile.getByTestId('rating-average').filter({ hasText: '4.0' }).waitFor();
		await profile.getByText('“Fast and friendly”').waitFor();
		expect(await profile.getByTestId('delivered-count').textContent()).toBe('1');
		await screenshot(profile, 'lifecycle-partner-profile-desktop');
		await adminPage.locator(`li[data-partner-id="${sam.userId}"]`).getByText('4.0').waitFor();
	});
});

describe('cancelling', () => {
	it('lets the customer cancel while pending; it leaves the open lists and shows on the board', async () => {
		const id = await checkout(customerPage, 'Islington');
		await samPage.getByRole('link', { name: 'Open orders' }).click();
		await samPage.waitForURL(`${stack.web.url}/partner`);
		await card(samPage, id).waitFor();
		await card(boardColumn(adminPage, 'Pending'), id).waitFor();

		await customerPage.getByRole('button', { name: 'Cancel order' }).click();
		await customerPage.getByRole('dialog', { name: 'Cancel this order?' }).waitFor();
		await customerPage.getByRole('button', { name: 'Yes, cancel order' }).click();
		await customerSees('cancelled');
		await card(samPage, id).waitFor({ state: 'detached' });
		await card(priyaPage, id).waitFor({ state: 'detached' });
		await card(adminPage, id).waitFor({ state: 'detached' });
		await stat(adminPage, 'Cancelled').filter({ hasText: /^1$/ }).waitFor();
	});

	it('lets an admin cancel an accepted order; the partner and the customer see it cancelled', async () => {
		const id = await placeOrder(customer, { city: 'Hackney' });
		await card(samPage, id).getByRole('button', { name: 'Claim' }).click();
		await samPage.waitForURL(`${stack.web.url}/partner/orders/${id}`);
		await samPage.getByRole('button', { name: 'Start preparing' }).waitFor();
		await open(customerPage, stack, `/orders/${id}`);
		await customerSees('accepted');

		await open(adminPage, stack, `/admin/orders/${id}`);
		await adminPage.getByLabel('Reason').fill('Restaurant closed early');
		await adminPage.getByRole('button', { name: 'Cancel order' }).click();
		await adminPage.getByRole('button', { name: 'Yes, cancel the order' }).click();
		await adminPage
			.locator('main')
			.getByText(`Order ${ref(id)} is cancelled.`)
			.waitFor();

		await samPage.getByText('This order was cancelled').waitFor();
		await samPage.getByText('“Restaurant closed early”').first().waitFor();
		expect(await samPage.getByRole('button', { name: 'Start preparing' }).count()).toBe(0);
		// the claim's "It's yours" is no longer true: not left on screen beside the cancel
		expect(await samPage.locator('.toaster .toast', { hasText: 'Order claimed' }).count()).toBe(0);
		// no cash to collect for a cancelled order, on the partner's page and the admin's
		await samPage
			.getByText('Cash on delivery: nothing to collect, the order was cancelled.')
			.waitFor();
		expect(await samPage.getByText('from the customer').count()).toBe(0);
		await adminPage.getByText('Cash on delivery: nothing to collect').waitFor();
		await customerSees('cancelled');
		await screenshot(samPage, 'lifecycle-partner-cancelled-phone');
		await screenshot(adminPage, 'lifecycle-admin-cancelled-desktop');
		const row = await eventually(
			() => stack.database.collections.orders.findOne({ _id: id }),
			(r) => r?.status === 'cancelled',
			'the index to show cancelled'
		);
		expect(row?.partnerId).toBe(sam.userId);
	});
});
