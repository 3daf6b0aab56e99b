// The partner app in a real browser against the real web app, sync-server and FerretDB: the open
// list follows feed/open live (new orders appear with a "New" badge and an announcement, claimed
// ones vanish), availability, claims (won, and lost on a stale card), the order page's steps with
// the confirm dialog, conflicts, "My deliveries", the profile following ratings live, and a claim
// without JavaScript. Screenshots of every partner page at phone and desktop widths.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	appendEvent,
	createEvent,
	orderDocName,
	readOrder,
	writeRating
} from '../../src/lib/order/index.ts';
import { launchBrowser, screenshot, VIEWPORTS } from '../support/browser.ts';
import {
	eventually,
	horizontalOverflow,
	nodeClient,
	open,
	person,
	placeOrder,
	ref,
	signedInPage,
	startLiveStack,
	until,
	type LiveStack,
	type Person
} from '../support/live-stack.ts';

let stack: LiveStack;
let browser: Browser;
let customer: Person;
let sam: Person;
let priya: Person;
let admin: Person;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	stack = await startLiveStack('partner_app');
	browser = await launchBrowser();
	customer = await person(stack, 'customer', 'Casey Customer');
	sam = await person(stack, 'partner', 'Sam Rider');
	priya = await person(stack, 'partner', 'Priya Wheels');
	admin = await person(stack, 'admin', 'Ada Admin');
});

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => undefined);
	await browser?.close();
	await stack?.stop();
});

type Viewport = { width: number; height: number };

async function pageFor(
	who: Person,
	viewport: Viewport = VIEWPORTS.desktop,
	options: { javaScriptEnabled?: boolean } = {}
): Promise<Page> {
	const { context, page } = await signedInPage(browser, stack, who, viewport, options);
	contexts.push(context);
	return page;
}

const card = (page: Page, orderId: string) => page.locator(`article[data-order-id="${orderId}"]`);
const indexRow = (orderId: string) => stack.database.collections.orders.findOne({ _id: orderId });

/** Waits until one of the page's polite live regions says something containing `text`. */
function announced(page: Page, text: string) {
	return page.waitForFunction(
		(needle) =>
			[...document.querySelectorAll('[aria-live="polite"], [aria-live="assertive"]')].some((el) =>
				el.textContent?.includes(needle)
			),
		text
	);
}

describe('open orders', () => {
	it('shows open orders, adds new ones live with a cue, and drops claimed ones', async () => {
		const first = await placeOrder(customer, { city: 'Leeds' });
		const page = await pageFor(sam);
		await open(page, stack, '/partner');
		await page.getByRole('heading', { level: 1, name: 'Open orders' }).waitFor();
		await card(page, first).waitFor();
		await expect(card(page, first).textContent()).resolves.toContain('Leeds');
		// No address or phone before the claim: the open feed does not carry them.
		await expect(page.locator('main').textContent()).resolves.not.toContain('Baker Street');
		await page.getByText('Live', { exact: true }).waitFor();

		const second = await placeOrder(customer, { city: 'York' });
		const fresh = card(page, second);
		await fresh.waitFor();
		await fresh.getByText('New', { exact: true }).waitFor();
		await announced(page, 'New order in York');
		expect(await card(page, first).getByText('New', { exact: true }).count()).toBe(0);
		// Newest first.
		const order = await page
			.locator('main article[data-order-id]')
			.evaluateAll((els) => els.map((el) => el.getAttribute('data-order-id')));
		expect(order.indexOf(second)).toBeLessThan(order.indexOf(first));
		await screenshot(page, 'partner-open-desktop');

		// Another partner claims the first one: it leaves this list without a reload.
		const claimed = await priya.api('POST', `/api/orders/${first}/claim`);
		expect(claimed.status).toBe(200);
		await card(page, first).waitFor({ state: 'detached' });
	});

	it('fits a phone, and says when the partner is unavailable', async () => {
		const page = await pageFor(sam, VIEWPORTS.phone);
		await open(page, stack, '/partner');
		await page.locator('main article[data-order-id]').first().waitFor();
		expect(await horizontalOverflow(page)).toBe(0);
		await screenshot(page, 'partner-open-phone');

		const toggle = page.getByRole('switch', { name: 'Available for new orders' });
		expect(await toggle.getAttribute('aria-checked')).toBe('true');
		await toggle.click();
		await page.locator('[role="switch"][aria-checked="false"]').waitFor();
		await page.getByText('You’re unavailable.').waitFor();
		const claims = page.getByRole('button', { name: 'Claim' });
		expect(await claims.count()).toBeGreaterThan(0);
		for (const button of await claims.all()) expect(await button.isDisabled()).toBe(true);
		const user = await stack.database.collections.users.findOne({ _id: sam.userId });
		expect(user?.partner?.available).toBe(false);
		await screenshot(page, 'partner-open-unavailable-phone');

		await toggle.click();
		await page.locator('[role="switch"][aria-checked="true"]').waitFor();
		await page.getByText('You’re unavailable.').waitFor({ state: 'detached' });
		expect(await claims.first().isDisabled()).toBe(false);
	});

	it('says "taken by someone else" at once when a stale card is claimed, and drops the card', async () => {
		const orderId = await placeOrder(customer, { city: 'Bath' });
		const page = await pageFor(sam);
		// This browser's feed lags: its sync socket is held back, so the list stays as first rendered.
		await page.routeWebSocket(/.*/, () => undefined);
		await open(page, stack, '/partner');
		const stale = card(page, orderId);
		await stale.waitFor();
		expect((await priya.api('POST', `/api/orders/${orderId}/claim`)).status).toBe(200);

		await stale.getByRole('button', { name: 'Claim' }).click();
		const alert = page
			.locator('main')
			.getByRole('alert')
			.filter({ hasText: 'Taken by someone else' });
		await alert.waitFor();
		await stale.waitFor({ state: 'detached' });
		expect(await alert.evaluate((el) => el === document.activeElement)).toBe(true);
		expect(page.url()).toBe(`${stack.web.url}/partner`);
		expect((await indexRow(orderId))?.partnerId).toBe(priya.userId);
		await screenshot(page, 'partner-open-taken-desktop');
	});

	it('says a claim needs a connection when offline, and claims once back online', async () => {
		const orderId = await placeOrder(customer, { city: 'Ely' });
		const page = await pageFor(sam, VIEWPORTS.phone);
		await open(page, stack, '/partner');
		const offered = card(page, orderId);
		await offered.waitFor();
		await page.context().setOffline(true);
		// offline the claim cannot be made at all (it is the server's to decide), and the page says so
		const waiting = offered.getByRole('button', { name: 'Claim when online' });
		await waiting.waitFor();
		expect(await waiting.isDisabled()).toBe(true);
		await page
			.locator('main')
			.getByRole('status')
			.filter({ hasText: 'Claiming needs a connection' })
			.waitFor();
		expect(page.url()).toBe(`${stack.web.url}/partner`);
		expect((await indexRow(orderId))?.partnerId).toBeNull();
		await screenshot(page, 'partner-open-offline-claim-phone');

		await page.context().setOffline(false);
		const claim = offered.getByRole('button', { name: 'Claim', exact: true });
		await expect.poll(() => claim.isEnabled()).toBe(true);
		expect(await page.getByText('Claiming needs a connection').count()).toBe(0);
		// the connection drops while the claim is on its way: said as offline, no error page
		let dropped = 0;
		await page.route(/\/partner\?\/claim/, (route) => {
			dropped++;
			return route.abort('internetdisconnected');
		});
		await claim.click();
		await expect.poll(() => dropped).toBe(1);
		const alert = page
			.locator('main')
			.getByRole('alert')
			.filter({ hasText: 'claiming needs a connection' });
		await alert.waitFor();
		expect(await alert.evaluate((el) => el === document.activeElement)).toBe(true);
		await offered.waitFor(); // the card stays
		expect(page.url()).toBe(`${stack.web.url}/partner`);
		await page.unroute(/\/partner\?\/claim/);
		await claim.click();
		await page.waitForURL(new RegExp(`/partner/orders/${orderId}$`));
		expect((await indexRow(orderId))?.partnerId).toBe(sam.userId);
	});

	it('claims without JavaScript too, with the same message when it is taken', async () => {
		const mine = await placeOrder(customer, { city: 'Derby' });
		const theirs = await placeOrder(customer, { city: 'Hull' });
		const page = await pageFor(sam, VIEWPORTS.desktop, { javaScriptEnabled: false });
		await page.goto(`${stack.web.url}/partner`);
		expect((await priya.api('POST', `/api/orders/${theirs}/claim`)).status).toBe(200);
		await card(page, theirs).getByRole('button', { name: 'Claim' }).click();
		await page
			.locator('main')
			.getByRole('alert')
			.filter({ hasText: 'Taken by someone else' })
			.waitFor();
		expect(await card(page, theirs).count()).toBe(0);

		await card(page, mine).getByRole('button', { name: 'Claim' }).click();
		await page.waitForURL(`${stack.web.url}/partner/orders/${mine}`);
		await page.getByRole('heading', { level: 1, name: new RegExp(`Order ${ref(mine)}`) }).waitFor();
		expect((await indexRow(mine))?.partnerId).toBe(sam.userId);
	});
});

describe('an order of mine', () => {
	it('claims, then moves through each step with the one primary button, confirming delivery', async () => {
		const orderId = await placeOrder(customer, { city: 'Oxford' });
		const page = await pageFor(sam);
		await open(page, stack, '/partner');
		await card(page, orderId).getByRole('button', { name: 'Claim' }).click();
		await page.waitForURL(`${stack.web.url}/partner/orders/${orderId}`);
		await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });

		const heading = page.getByRole('heading', { level: 1 });
		await heading.filter({ hasText: 'Accepted' }).waitFor();
		await page.getByText('Casey Customer').first().waitFor();
		const call = page.getByRole('link', { name: 'Call +44 20 7946 0000' });
		expect(await call.getAttribute('href')).toBe('tel:+442079460000');
		await page.getByText('12 Baker Street').waitFor();
		await page.getByText('Ring twice').waitFor();
		await page.getByText('Cash on delivery').waitFor();
		await page.getByRole('list', { name: 'Order history' }).getByText('Accepted').waitFor();
		await screenshot(page, 'partner-order-accepted-desktop');

		await page.getByRole('button', { name: 'Start preparing' }).click();
		await heading.filter({ hasText: 'Preparing' }).waitFor();
		await page.getByRole('button', { name: 'Out for delivery' }).click();
		await heading.filter({ hasText: 'Out for delivery' }).waitFor();
		await eventually(
			async () => (await indexRow(orderId))?.status,
			(status) => status === 'out_for_delivery',
			'the index to follow the document'
		);

		// Delivered is irreversible: a dialog asks first; Escape backs out and focus returns.
		const deliver = page.getByRole('button', { name: 'Mark delivered' });
		await deliver.click();
		const dialog = page.getByRole('dialog', { name: `Mark order ${ref(orderId)} delivered?` });
		await dialog.waitFor();
		expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Go back');
		await screenshot(page, 'partner-order-confirm-desktop');
		await page.keyboard.press('Escape');
		await dialog.waitFor({ state: 'hidden' });
		expect(await deliver.evaluate((el) => el === document.activeElement)).toBe(true);
		await heading.filter({ hasText: 'Out for delivery' }).waitFor();

		await deliver.click();
		await dialog.getByRole('button', { name: 'Yes, it’s delivered' }).click();
		await heading.filter({ hasText: 'Delivered' }).waitFor();
		await page.getByText('Nothing left to do for this order').waitFor();
		expect(await page.getByRole('button', { name: 'Mark delivered' }).count()).toBe(0);
		const row = await eventually(
			() => indexRow(orderId),
			(r) => r?.status === 'delivered',
			'the index to show delivered'
		);
		expect(row?.deliveredAt).toBeInstanceOf(Date);
		await screenshot(page, 'partner-order-delivered-desktop');

		// The steps are in the document, written by the partner.
		const observer = await nodeClient(stack, admin, orderDocName(orderId));
		const view = readOrder(observer.doc)!;
		expect(view.events.map((e) => [e.type, e.by])).toEqual([
			['accepted', sam.userId],
			['preparing', sam.userId],
			['out_for_delivery', sam.userId],
			['delivered', sam.userId]
		]);
		observer.destroy();
	});

	it('shows an admin’s cancel live, and a conflicting step of mine explicitly', async () => {
		const orderId = await placeOrder(customer, { city: 'Cambridge' });
		expect((await sam.api('POST', `/api/orders/${orderId}/claim`)).status).toBe(200);
		const page = await pageFor(sam, VIEWPORTS.phone);
		await open(page, stack, `/partner/orders/${orderId}`);
		await page.getByRole('button', { name: 'Start preparing' }).waitFor();
		await screenshot(page, 'partner-order-accepted-phone');
		expect(await horizontalOverflow(page)).toBe(0);

		// A step this partner took on another device while offline lands after the cancel.
		const otherDevice = await nodeClient(stack, sam, orderDocName(orderId));
		const cancelled = await admin.api('POST', `/api/orders/${orderId}/cancel`, {
			reason: 'Kitchen closed early'
		});
		expect(cancelled.status).toBe(200);
		await page.getByText('This order was cancelled').waitFor();
		await page.getByText('Kitchen closed early').first().waitFor();
		await announced(page, 'is now Cancelled');
		expect(await page.getByRole('button', { name: 'Start preparing' }).count()).toBe(0);

		await until(
			otherDevice.doc,
			() => readOrder(otherDevice.doc)?.status === 'cancelled',
			'cancel'
		);
		appendEvent(otherDevice.doc, createEvent({ userId: sam.userId, role: 'partner' }, 'preparing'));
		const alert = page.locator('main').getByRole('alert').filter({ hasText: 'did not apply' });
		await alert.waitFor();
		expect(await alert.innerText()).toBe(
			'This order was cancelled by an admin: “Kitchen closed early”. Don’t deliver it. Your “Start preparing” did not apply: the order was already cancelled, which is final.'
		);
		expect(await page.getByText('This order was cancelled').count()).toBe(1);
		await page.getByText('Your step did not apply:').waitFor();
		await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Cancelled' }).waitFor();
		await screenshot(page, 'partner-order-conflict-phone');
		otherDevice.destroy();
	});

	it('is not shown to a partner it is not assigned to', async () => {
		const orderId = await placeOrder(customer);
		expect((await priya.api('POST', `/api/orders/${orderId}/claim`)).status).toBe(200);
		const page = await pageFor(sam);
		const res = await page.goto(`${stack.web.url}/partner/orders/${orderId}`);
		expect(res?.status()).toBe(404);
		const bad = await page.goto(`${stack.web.url}/partner/orders/NOT-AN-ID`);
		expect(bad?.status()).toBe(404);
	});
});

describe('my deliveries and profile', () => {
	it('lists active orders first, then finished ones, live', async () => {
		const active = await placeOrder(customer, { city: 'Bristol' });
		expect((await sam.api('POST', `/api/orders/${active}/claim`)).status).toBe(200);
		for (const [name, viewport] of Object.entries(VIEWPORTS)) {
			const page = await pageFor(sam, viewport);
			await open(page, stack, '/partner/orders');
			const activeList = page.getByRole('list', { name: /^Active/ });
			const finishedList = page.getByRole('list', { name: /^Recently finished/ });
			await activeList.locator(`[data-order-id="${active}"]`).waitFor();
			await page.getByText('Live', { exact: true }).waitFor();
			expect(await horizontalOverflow(page)).toBe(0);
			await screenshot(page, `partner-deliveries-${name}`);
			if (name === 'desktop') {
				// Moved on elsewhere (the admin cancels): it moves to the finished list without a reload.
				expect((await admin.api('POST', `/api/orders/${active}/cancel`)).status).toBe(200);
				await finishedList.locator(`[data-order-id="${active}"]`).waitFor();
				await page.getByRole('link', { name: new RegExp(ref(active)) }).click();
				await page.waitForURL(`${stack.web.url}/partner/orders/${active}`);
			}
		}
	});

	it('shows rating and deliveries, and follows a new rating without a reload', async () => {
		const orderId = await placeOrder(customer, { city: 'Brighton' });
		expect((await sam.api('POST', `/api/orders/${orderId}/claim`)).status).toBe(200);
		const partnerDevice = await nodeClient(stack, sam, orderDocName(orderId));
		const me = { userId: sam.userId, role: 'partner' as const };
		for (const step of ['preparing', 'out_for_delivery', 'delivered'] as const) {
			appendEvent(partnerDevice.doc, createEvent(me, step));
		}
		await eventually(
			async () => (await indexRow(orderId))?.status,
			(status) => status === 'delivered',
			'the delivery in the index'
		);
		const delivered = await stack.database.collections.orders.countDocuments({
			partnerId: sam.userId,
			status: 'delivered'
		});
		partnerDevice.destroy();

		const page = await pageFor(sam);
		await open(page, stack, '/partner/profile');
		await page.getByRole('heading', { level: 1, name: 'Sam Rider' }).waitFor();
		expect(await page.getByTestId('delivered-count').textContent()).toBe(String(delivered));
		await page.getByText('No ratings yet').first().waitFor();
		await page.getByText('Live', { exact: true }).waitFor();

		const customerDevice = await nodeClient(stack, customer, orderDocName(orderId));
		await until(
			customerDevice.doc,
			() => readOrder(customerDevice.doc)?.status === 'delivered',
			'delivered'
		);
		writeRating(customerDevice.doc, { stars: 4, comment: 'Quick and friendly' });
		await page.getByTestId('rating-average').filter({ hasText: '4.0' }).waitFor();
		await page.getByText('“Quick and friendly”').waitFor();
		await page.getByRole('img', { name: '4 of 5 stars' }).waitFor();
		customerDevice.destroy();
		await screenshot(page, 'partner-profile-desktop');

		const phone = await pageFor(sam, VIEWPORTS.phone);
		await open(phone, stack, '/partner/profile');
		await phone.getByTestId('rating-average').waitFor();
		expect(await horizontalOverflow(phone)).toBe(0);
		await screenshot(phone, 'partner-profile-phone');
	});

	it('keeps other roles out of the partner app', async () => {
		const page = await pageFor(customer);
		const res = await page.goto(`${stack.web.url}/partner`);
		expect(res?.status()).toBe(403);
	});
});
