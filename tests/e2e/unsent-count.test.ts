// The header's unsent-changes count is the person's own changes the server has not confirmed, and
// nothing else. Three browsers — a customer, a partner and an admin — drive
// whole orders, online and offline, in Chromium against the real web app, sync-server and
// FerretDB; after every step the count is checked on every open page, and after changes that
// only arrived from others it must be 0 and stay 0 (on the customer's page as the partner moves
// the order, on feeds, on the board after a cancel).
//
// Each person reaches the sync-server through a connection of their own that the test can cut
// (the partner through the stack's proxy, the customer through a second one, the admin
// directly), so one can be offline while the others watch.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MENU } from '../../src/lib/catalog/demo-menu.ts';
import {
	describePagesOnFailure,
	launchBrowser,
	screenshot,
	VIEWPORTS
} from '../support/browser.ts';
import {
	connection,
	openPath,
	pwaContext,
	startOfflineStack,
	syncDirectly,
	whenControlled,
	type OfflineStack
} from '../support/offline-stack.ts';
import { eventually, person, placeOrder, ref, type Person } from '../support/live-stack.ts';
import { startTcpProxy, type TcpProxy } from '../support/sync-clients.ts';

let stack: OfflineStack;
let customerProxy: TcpProxy;
let browser: Browser;
let customer: Person;
let sam: Person;
let ada: Person;
const contexts: BrowserContext[] = [];

let customerContext: BrowserContext;
let partnerContext: BrowserContext;
let customerPage: Page;
let partnerPage: Page;
let adminPage: Page;

const [FIRST] = DEMO_MENU.filter((product) => product.available);

beforeAll(async () => {
	stack = await startOfflineStack('unsent_count');
	customerProxy = await startTcpProxy({ host: '127.0.0.1', port: stack.syncPort });
	browser = await launchBrowser();
	customer = await person(stack, 'customer', 'Casey Customer');
	sam = await person(stack, 'partner', 'Sam Rider');
	ada = await person(stack, 'admin', 'Ada Admin');
});

describePagesOnFailure(() => ({
	customer: customerPage,
	partner: partnerPage,
	admin: adminPage
}));

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => undefined);
	await browser?.close();
	await customerProxy?.close();
	await stack?.stop();
});

/** The header's count on `page` ('0' when nothing is unsent). */
const countOn = (page: Page) => connection(page).getAttribute('data-pending');

/**
 * Every page shows its expected count, and keeps showing it for a while: a count that comes from
 * someone else's change appears only after it arrives, so a 0 must hold, not just be seen once.
 */
async function expectCounts(expected: { customer?: number; partner?: number; admin?: number }) {
	const pages = [
		['customer', customerPage],
		['partner', partnerPage],
		['admin', adminPage]
	] as const;
	for (const [who, page] of pages) {
		const want = expected[who] ?? 0;
		await expect
			.poll(() => countOn(page), { timeout: 10_000, message: `${who}'s count` })
			.toBe(String(want));
	}
	// held for longer than the client's confirmation round (1.5 s)
	for (let i = 0; i < 10; i++) {
		await new Promise((resolve) => setTimeout(resolve, 200));
		for (const [who, page] of pages) {
			expect(await countOn(page), `${who}'s count, held`).toBe(String(expected[who] ?? 0));
		}
	}
}

async function cutCustomer() {
	customerProxy.cut();
	await customerContext.setOffline(true);
}
async function restoreCustomer() {
	customerProxy.restore();
	await customerContext.setOffline(false);
}
async function cutPartner() {
	stack.proxy.cut();
	await partnerContext.setOffline(true);
}
async function restorePartner() {
	stack.proxy.restore();
	await partnerContext.setOffline(false);
}

const heading = (page: Page) => page.getByRole('heading', { level: 1 });
const customerSees = (status: string) =>
	customerPage.locator(`main .status-card [data-status="${status}"]`).waitFor();
const boardCard = (id: string) => adminPage.locator(`article[data-order-id="${id}"]`);

/** Visits each path (a full load) and checks the count there. */
async function sweep(page: Page, paths: string[], want = 0) {
	for (const path of paths) {
		await openPath(page, stack, path);
		await expect.poll(() => countOn(page)).toBe(String(want));
	}
}

describe('the unsent-changes count', () => {
	it('opens the three apps', async () => {
		customerContext = await pwaContext(browser, stack, customer, VIEWPORTS.phone);
		contexts.push(customerContext);
		await customerContext.route('**/api/config', (route) =>
			route.fulfill({ json: { syncUrl: `ws://127.0.0.1:${customerProxy.port}` } })
		);
		partnerContext = await pwaContext(browser, stack, sam, VIEWPORTS.phone);
		contexts.push(partnerContext);
		const adminContext = await pwaContext(browser, stack, ada, VIEWPORTS.desktop);
		contexts.push(adminContext);
		await syncDirectly(adminContext, stack);

		customerPage = await customerContext.newPage();
		partnerPage = await partnerContext.newPage();
		adminPage = await adminContext.newPage();
		await openPath(customerPage, stack, '/');
		await openPath(partnerPage, stack, '/partner');
		await openPath(adminPage, stack, '/admin');
		await whenControlled(customerPage);
		await whenControlled(partnerPage);
		await adminPage.getByText('Live', { exact: true }).first().waitFor();
		await expectCounts({});
	});

	let orderId = '';

	it('is 0 everywhere when the customer places an order and it shows on the board and the open list', async () => {
		await customerPage.getByRole('button', { name: `Add ${FIRST!.name} to cart` }).click();
		await openPath(customerPage, stack, '/checkout');
		await customerPage.getByLabel('Street and number').fill('5 Mill Lane');
		await customerPage.getByLabel('City').fill('Oxford');
		await customerPage.getByLabel('Postcode').fill('OX1 1AA');
		await customerPage.getByLabel('Phone').fill('+44 1865 000000');
		await customerPage.getByRole('button', { name: /^Place order/ }).click();
		await customerPage.waitForURL(/\/orders\/[a-z0-9]+$/);
		orderId = new URL(customerPage.url()).pathname.split('/').pop()!;
		await customerSees('pending');
		await partnerPage.locator(`article[data-order-id="${orderId}"]`).waitFor();
		await boardCard(orderId).waitFor();
		await expectCounts({});
	});

	it('is 0 everywhere after the partner’s claim (written by the server)', async () => {
		await partnerPage
			.locator(`article[data-order-id="${orderId}"]`)
			.getByRole('button', { name: 'Claim' })
			.click();
		await partnerPage.waitForURL(`${stack.web.url}/partner/orders/${orderId}`);
		await partnerPage.getByText('5 Mill Lane').waitFor();
		await customerSees('accepted');
		await boardCard(orderId).getByText('Sam Rider').waitFor();
		await expectCounts({});
	});

	it('counts the partner’s step until the server has it, and never on the customer’s or admin’s pages', async () => {
		await partnerPage.getByRole('button', { name: 'Start preparing' }).click();
		await customerSees('preparing');
		await expectCounts({});
	});

	it('counts the partner’s offline steps on the partner’s pages only, across a reload and other pages', async () => {
		await partnerPage.getByText('Live', { exact: true }).waitFor();
		await cutPartner();
		await expect.poll(() => connection(partnerPage).getAttribute('data-state')).toBe('offline');
		await partnerPage.getByRole('button', { name: 'Out for delivery' }).click();
		await heading(partnerPage).filter({ hasText: 'Out for delivery' }).waitFor();
		await expectCounts({ partner: 1 });
		await partnerPage.getByRole('button', { name: 'Mark delivered' }).click();
		await partnerPage
			.getByRole('dialog')
			.getByRole('button', { name: 'Yes, it’s delivered' })
			.click();
		await heading(partnerPage).filter({ hasText: 'Delivered' }).waitFor();
		await expectCounts({ partner: 2 });
		await partnerPage
			.getByTestId('pending-changes')
			.filter({ hasText: '2 changes not synced' })
			.waitFor();
		await screenshot(partnerPage, 'unsent-partner-offline-phone');

		await partnerPage.reload();
		await partnerPage.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		await heading(partnerPage).filter({ hasText: 'Delivered' }).waitFor();
		await expectCounts({ partner: 2 });
		// another page (the open orders, seen before): the steps are still counted, and sent
		await partnerPage.goto(`${stack.web.url}/partner`);
		await partnerPage.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		await expectCounts({ partner: 2 });
		// the others still see preparing
		await customerSees('preparing');
	});

	it('drops to 0 on the partner’s pages once the server has them; the others follow with 0', async () => {
		await restorePartner();
		await customerSees('delivered');
		await boardCard(orderId).waitFor({ state: 'detached' });
		await expectCounts({});
		await eventually(
			() => stack.database.collections.orders.findOne({ _id: orderId }),
			(row) => row?.status === 'delivered',
			'the index to show delivered'
		);
	});

	it('counts the customer’s rating until it is confirmed, and not on the partner’s or admin’s pages', async () => {
		await customerPage.getByRole('heading', { name: 'Rate your delivery' }).waitFor();
		await customerPage.getByRole('radio', { name: /^5 stars/ }).check();
		await customerPage.getByLabel('Comment').fill('Quick, thanks');
		await customerPage.getByRole('button', { name: 'Send rating' }).click();
		await customerPage.getByRole('heading', { name: 'Your rating' }).waitFor();
		await expectCounts({});
		// offline, a rating is one change (two fields written together), kept until sent: see the
		// customer's offline cancel below for the same path with an event
	});

	it('is 0 on every page of every app after the order', async () => {
		await sweep(customerPage, [`/orders/${orderId}`, '/orders', '/']);
		await sweep(partnerPage, [
			'/partner',
			'/partner/orders',
			`/partner/orders/${orderId}`,
			'/partner/profile'
		]);
		await sweep(adminPage, ['/admin', `/admin/orders/${orderId}`, '/admin/orders']);
		await expectCounts({});
	});

	it('is 0 everywhere after an admin cancels an accepted order (nobody but the server wrote)', async () => {
		const id = await placeOrder(customer, { city: 'Reading' });
		expect((await sam.api('POST', `/api/orders/${id}/claim`)).status).toBe(200);
		await openPath(customerPage, stack, `/orders/${id}`);
		await customerSees('accepted');
		await openPath(partnerPage, stack, `/partner/orders/${id}`);
		await partnerPage.getByRole('button', { name: 'Start preparing' }).waitFor();
		await openPath(adminPage, stack, `/admin/orders/${id}`);
		await adminPage.getByLabel('Reason').fill('Kitchen closed');
		await adminPage.getByRole('button', { name: 'Cancel order' }).click();
		await adminPage.getByRole('button', { name: 'Yes, cancel the order' }).click();
		await adminPage
			.locator('main')
			.getByText(`Order ${ref(id)} is cancelled.`)
			.waitFor();
		await partnerPage.getByText('This order was cancelled').waitFor();
		await customerSees('cancelled');
		await expectCounts({});
		await openPath(adminPage, stack, '/admin');
		await expectCounts({});
	});

	it('counts the customer’s offline cancel until the server admits it', async () => {
		const id = await placeOrder(customer, { city: 'Bath' });
		await openPath(customerPage, stack, `/orders/${id}`);
		await customerSees('pending');
		await customerPage.getByText('Live', { exact: true }).waitFor();
		await openPath(partnerPage, stack, '/partner');
		await partnerPage.locator(`article[data-order-id="${id}"]`).waitFor();
		await boardCard(id).waitFor();

		await cutCustomer();
		await expect.poll(() => connection(customerPage).getAttribute('data-state')).toBe('offline');
		await customerPage.getByRole('button', { name: 'Cancel order' }).click();
		await customerPage.getByRole('button', { name: 'Yes, cancel order' }).click();
		await customerPage.getByText('Cancellation waiting to be sent').waitFor();
		await expectCounts({ customer: 1 });
		await customerPage.reload();
		await customerPage.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		await customerPage.getByText('Cancellation waiting to be sent').waitFor();
		await expectCounts({ customer: 1 });

		await restoreCustomer();
		await partnerPage.locator(`article[data-order-id="${id}"]`).waitFor({ state: 'detached' });
		await boardCard(id).waitFor({ state: 'detached' });
		await customerPage.getByText('Cancellation waiting to be sent').waitFor({ state: 'detached' });
		await customerSees('cancelled');
		await expectCounts({});
	});

	it('drops the customer’s offline cancel to 0 when the server refuses it (a partner claimed first)', async () => {
		const id = await placeOrder(customer, { city: 'York' });
		await openPath(customerPage, stack, `/orders/${id}`);
		await customerSees('pending');
		await customerPage.getByText('Live', { exact: true }).waitFor();
		await cutCustomer();
		await expect.poll(() => connection(customerPage).getAttribute('data-state')).toBe('offline');
		await customerPage.getByRole('button', { name: 'Cancel order' }).click();
		await customerPage.getByRole('button', { name: 'Yes, cancel order' }).click();
		await expectCounts({ customer: 1 });

		expect((await sam.api('POST', `/api/orders/${id}/claim`)).status).toBe(200);
		await openPath(partnerPage, stack, `/partner/orders/${id}`);
		await partnerPage.getByRole('button', { name: 'Start preparing' }).waitFor();
		await expectCounts({ customer: 1 });

		await restoreCustomer();
		await customerPage.getByText('a partner had already accepted the order').first().waitFor();
		await customerSees('accepted');
		await expectCounts({});
		await screenshot(customerPage, 'unsent-customer-cancel-refused-phone');
	});
});
