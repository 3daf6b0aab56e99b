// Offline-first for partners, in Chromium against the real web app, sync-server and FerretDB,
// with a real loss of connectivity (see offline-stack.ts: the socket goes through a TCP proxy the
// test cuts, HTTP through `setOffline`; the service worker serves pages from its cache).
// The partner opens their order once online, then with no network: reloads, cold-starts a new
// page, moves the order to delivered, closes the page, reopens it (changes still there, counted as
// not synced), goes to another page — and when the network returns the changes reach the server
// with no action; the customer's and the admin's pages show "Delivered" within 5 s. Also: the
// conflict case (delivered offline while an admin cancelled) shown the same on both sides, and the
// measurement behind the proxy: `setOffline` alone does not close an open WebSocket.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent, createEvent, orderDocName, readOrder } from '../../src/lib/order/index.ts';
import { launchBrowser, screenshot, VIEWPORTS } from '../support/browser.ts';
import {
	connection,
	goOffline,
	goOnline,
	localDatabases,
	openPath,
	pwaContext,
	startOfflineStack,
	syncDirectly,
	whenControlled,
	type OfflineStack
} from '../support/offline-stack.ts';
import {
	eventually,
	nodeClient,
	person,
	placeOrder,
	ref,
	signedInPage,
	until,
	type Person
} from '../support/live-stack.ts';

let stack: OfflineStack;
let browser: Browser;
let customer: Person;
let sam: Person;
let ada: Person;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	stack = await startOfflineStack('offline_partner');
	browser = await launchBrowser();
	customer = await person(stack, 'customer', 'Casey Customer');
	sam = await person(stack, 'partner', 'Sam Rider');
	ada = await person(stack, 'admin', 'Ada Admin');
});

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => undefined);
	await browser?.close();
	await stack?.stop();
});

async function claimedOrder(city: string): Promise<string> {
	const orderId = await placeOrder(customer, { city });
	const claim = await sam.api('POST', `/api/orders/${orderId}/claim`);
	expect(claim.status).toBe(200);
	return orderId;
}

/** A signed-in observer page (customer or admin) whose socket bypasses the proxy. */
async function observer(who: Person, path: string): Promise<Page> {
	const { context, page } = await signedInPage(browser, stack, who, VIEWPORTS.desktop);
	contexts.push(context);
	await syncDirectly(context, stack);
	await openPath(page, stack, path);
	return page;
}

async function partnerContext(): Promise<BrowserContext> {
	const context = await pwaContext(browser, stack, sam);
	contexts.push(context);
	return context;
}

const heading = (page: Page) => page.getByRole('heading', { level: 1 });
const indexRow = (orderId: string) => stack.database.collections.orders.findOne({ _id: orderId });

async function moveToDelivered(page: Page) {
	await page.getByRole('button', { name: 'Start preparing' }).click();
	await heading(page).filter({ hasText: 'Preparing' }).waitFor();
	await page.getByRole('button', { name: 'Out for delivery' }).click();
	await heading(page).filter({ hasText: 'Out for delivery' }).waitFor();
	await page.getByRole('button', { name: 'Mark delivered' }).click();
	await page.getByRole('dialog').getByRole('button', { name: 'Yes, it’s delivered' }).click();
	await heading(page).filter({ hasText: 'Delivered' }).waitFor();
}

describe('a partner with no network', () => {
	it('keeps working offline across reloads and restarts; everything syncs on reconnect', async () => {
		const orderId = await claimedOrder('Leeds');
		const customerPage = await observer(customer, `/orders/${orderId}`);
		const adminPage = await observer(ada, `/admin/orders/${orderId}`);
		await customerPage.getByRole('heading', { level: 2, name: /accepted/i }).waitFor();

		// Online, once: the list, the open orders and the order itself.
		const context = await partnerContext();
		let page = await context.newPage();
		await openPath(page, stack, '/partner/orders');
		await whenControlled(page);
		await openPath(page, stack, '/partner');
		await openPath(page, stack, `/partner/orders/${orderId}`);
		await page.getByText('12 Baker Street').waitFor();
		await page.getByText('Live', { exact: true }).waitFor();
		await expect.poll(() => connection(page).getAttribute('data-state')).toBe('online');
		const localName = `dispatch/${sam.userId}/${orderDocName(orderId)}`;
		expect(await localDatabases(page)).toContain(localName);

		await goOffline(stack, context);

		// Reload: the page comes from the service worker, the order from IndexedDB.
		await page.reload();
		await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		await page.getByText('12 Baker Street').waitFor();
		await page.getByText('Ring twice').waitFor();
		await expect.poll(() => connection(page).getAttribute('data-state')).toBe('offline');

		// Cold start: a new page, still offline, and the whole delivery.
		await page.close();
		page = await context.newPage();
		await openPath(page, stack, `/partner/orders/${orderId}`);
		await page.getByText('12 Baker Street').waitFor();
		await moveToDelivered(page);
		await page.getByTestId('pending-changes').filter({ hasText: '3 changes not synced' }).waitFor();
		// the partner's own steps, not yet sent: not shown as done
		const badge = page.locator('h1 [data-status="delivered"][data-unsent]');
		expect((await badge.textContent())?.trim()).toBe('Delivered · not sent yet');
		await page.getByTestId('delivered-unsent').waitFor();
		// each of the three steps is marked in the timeline
		const timeline = page.getByRole('list', { name: 'Order history' });
		expect(await timeline.getByText('Not sent yet').count()).toBe(3);
		expect(await page.getByText('Nothing left to do for this order').count()).toBe(0);
		await screenshot(page, 'offline-partner-delivered-offline-phone');
		expect((await indexRow(orderId))?.status).toBe('accepted');

		// Close the app; reopen it offline: the changes are there, still counted.
		await page.close();
		page = await context.newPage();
		await openPath(page, stack, `/partner/orders/${orderId}`);
		await heading(page).filter({ hasText: 'Delivered' }).waitFor();
		await page.getByTestId('pending-changes').filter({ hasText: '3 changes' }).waitFor();
		// Another page: the order is no longer shown, yet it must still sync.
		await openPath(page, stack, '/partner');
		await expect.poll(() => connection(page).getAttribute('data-pending')).toBe('3');

		// The network returns; nobody touches anything.
		const back = Date.now();
		await goOnline(stack, context);
		await customerPage
			.getByRole('heading', { level: 2, name: /delivered/i })
			.waitFor({ timeout: 5_000 });
		await adminPage.locator('h1 [data-status="delivered"]').waitFor({ timeout: 5_000 });
		console.log(
			`offline changes reached customer and admin ${Date.now() - back} ms after reconnect`
		);
		await eventually(
			async () => (await indexRow(orderId))?.status,
			(status) => status === 'delivered',
			'the index to show delivered'
		);
		await expect
			.poll(() => connection(page).getAttribute('data-pending'), { timeout: 10_000 })
			.toBe('0');
		await expect.poll(() => connection(page).getAttribute('data-state')).toBe('online');
		await screenshot(page, 'offline-partner-synced-phone');
		// the order, now sent: done, nothing marked as waiting
		await openPath(page, stack, `/partner/orders/${orderId}`);
		await page.getByText('Nothing left to do for this order').waitFor();
		expect(await page.locator('h1 [data-unsent]').count()).toBe(0);
		expect(await page.getByText('Not sent yet').count()).toBe(0);
		await context.close();
	});

	it('an offline delivery meeting an admin’s cancel: the same outcome and a visible conflict on both sides', async () => {
		const orderId = await claimedOrder('York');
		const adminPage = await observer(ada, `/admin/orders/${orderId}`);
		const context = await partnerContext();
		const page = await context.newPage();
		await openPath(page, stack, `/partner/orders/${orderId}`);
		await whenControlled(page);
		await page.getByText('Live', { exact: true }).waitFor();

		await goOffline(stack, context);
		await moveToDelivered(page);
		const cancel = await ada.api('POST', `/api/orders/${orderId}/cancel`, {
			reason: 'Customer called to cancel'
		});
		expect(cancel.status).toBe(200);
		await adminPage.locator('h1 [data-status="cancelled"]').waitFor();

		await goOnline(stack, context);
		// Both replicas fold the same events in the same order: one status, one conflict flagged.
		await adminPage.getByText(/1 event conflicts|events conflict/).waitFor({ timeout: 10_000 });
		await page
			.getByRole('list', { name: 'Order history' })
			.getByText('Conflict')
			.first()
			.waitFor({ timeout: 10_000 });
		const partnerStatus = await page.locator('h1 [data-status]').getAttribute('data-status');
		const adminStatus = await adminPage.locator('h1 [data-status]').getAttribute('data-status');
		expect(partnerStatus).toBe(adminStatus);
		if (partnerStatus === 'cancelled') {
			// the three refused steps, said once with their one reason
			const alert = page.getByRole('alert').filter({ hasText: 'did not apply' });
			expect(await alert.innerText()).toMatch(
				/^This order was cancelled by an admin(: “[^”]*”)?\. Don’t deliver it\. Your “Start preparing”, “Out for delivery”, and “Mark delivered” did not apply: the order was already cancelled, which is final\.$/
			);
			// said once: not again in the card below it
			expect(await page.getByText('This order was cancelled').count()).toBe(1);
		}
		const stored = await eventually(
			() => indexRow(orderId),
			(row) => row?.status === adminStatus && (row?.conflicts ?? 0) > 0,
			'the index to show the same outcome and the conflict'
		);
		expect(stored?.status).toBe(partnerStatus);

		// The board shows it too.
		await openPath(adminPage, stack, '/admin');
		await adminPage
			.getByRole('listitem')
			.filter({ has: adminPage.getByRole('link', { name: ref(orderId), exact: true }) })
			.getByText('⚠ Conflict')
			.waitFor();
		await screenshot(page, 'offline-partner-conflict-phone');
		await screenshot(adminPage, 'offline-admin-conflict-desktop');
		await context.close();
	});

	it('measured: setOffline alone leaves an open WebSocket open but silent; the app drops it at once', async () => {
		const orderId = await claimedOrder('Bath');
		const context = await partnerContext();
		const page = await context.newPage();
		await openPath(page, stack, `/partner/orders/${orderId}`);
		await page.getByText('Live', { exact: true }).waitFor();
		// A bare WebSocket next to the app's, to see what the browser itself does.
		await page.evaluate(async () => {
			const url = localStorage.getItem('dispatch:sync-url');
			const probe = new WebSocket(`${url}/feed/open`);
			(window as unknown as { probe: WebSocket }).probe = probe;
			await new Promise((resolve, reject) => {
				probe.onopen = resolve;
				probe.onerror = reject;
			});
		});

		await context.setOffline(true);
		// The app listens to the browser's `offline` event and drops its sockets.
		await page.getByText('Offline: showing the last known state').waitFor({ timeout: 5_000 });
		await expect.poll(() => connection(page).getAttribute('data-state')).toBe('offline');
		// Meanwhile an admin cancels from another device; this page cannot hear it.
		const other = await nodeClient(stack, ada, orderDocName(orderId));
		appendEvent(
			other.doc,
			createEvent({ userId: ada.userId, role: 'admin', name: ada.name }, 'cancelled')
		);
		await until(other.doc, () => readOrder(other.doc)?.status === 'cancelled', 'the cancel');
		other.destroy();
		// The bare socket: still "open" after the browser went offline.
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		const probeState = await page.evaluate(
			() => (window as unknown as { probe: WebSocket }).probe.readyState
		);
		console.log(`setOffline(true): a bare WebSocket's readyState is ${probeState} (1 = OPEN)`);
		expect(probeState).toBe(1); // WebSocket.OPEN
		expect(await heading(page).filter({ hasText: 'Cancelled' }).count()).toBe(0);

		await context.setOffline(false);
		await heading(page).filter({ hasText: 'Cancelled' }).waitFor({ timeout: 10_000 });
		await page.getByText('Live', { exact: true }).waitFor();
		await context.close();
	});
});
