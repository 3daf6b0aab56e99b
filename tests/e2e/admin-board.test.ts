// The admin app in a real browser against the real web app, sync-server and FerretDB: the live
// board (columns by status, today's counts, new orders, partners online with ratings, conflicts
// flagged), an order's full event history and cancelling it (with a reason and a confirm, and
// without JavaScript), and the order history with its status filter and paging. Screenshots of
// every admin page at phone and desktop widths.
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	appendEvent,
	createEvent,
	orderDocName,
	readOrder,
	writeRating,
	type EventType
} from '../../src/lib/order/index.ts';
import { DEMO_MENU } from '../../src/lib/catalog/demo-menu.ts';
import type { OrderMeta } from '../../src/lib/order/index.ts';
import type { OrderIndexDoc } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import { indexRowFromMeta } from '../../src/lib/server/orders/create.ts';
import { createSyncClient } from '../../src/lib/server/sync-client.ts';
import { launchBrowser, screenshot, VIEWPORTS } from '../support/browser.ts';
import type { ProviderClient } from '../support/sync-clients.ts';
import {
	eventually,
	horizontalOverflow,
	nodeClient,
	open,
	person,
	placeOrder,
	ref,
	SECRET,
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
let ada: Person;
const contexts: BrowserContext[] = [];
const devices: ProviderClient[] = [];

beforeAll(async () => {
	stack = await startLiveStack('admin_board');
	browser = await launchBrowser();
	customer = await person(stack, 'customer', 'Casey Customer');
	sam = await person(stack, 'partner', 'Sam Rider');
	priya = await person(stack, 'partner', 'Priya Wheels');
	ada = await person(stack, 'admin', 'Ada Admin');
});

afterAll(async () => {
	for (const device of devices) device.destroy();
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

async function device(who: Person, orderId: string): Promise<ProviderClient> {
	const client = await nodeClient(stack, who, orderDocName(orderId));
	devices.push(client);
	return client;
}

/** The partner moves an order on from their own device (a Node y-websocket client). */
async function step(client: ProviderClient, who: Person, ...types: EventType[]) {
	for (const type of types) {
		appendEvent(client.doc, createEvent({ userId: who.userId, role: 'partner' }, type));
	}
}

/** A board column by its name: "Pending 3 orders", "Pending 2 late (waiting over 10 min) 3 orders". */
const column = (page: Page, label: string) =>
	page.getByRole('region', {
		name: new RegExp(`^${label}( \\d+ late \\(waiting over \\d+ min\\))? \\d+ orders?$`)
	});
const onBoard = (scope: Page | Locator, orderId: string) =>
	scope.locator(`article[data-order-id="${orderId}"]`);
const stat = (page: Page, label: string) => page.locator(`dd[data-stat="${label}"]`);
const indexRow = (orderId: string) => stack.database.collections.orders.findOne({ _id: orderId });

/**
 * A pending order placed `minutes` ago, made as the web app makes one (its index row, then its
 * document's meta through the service channel), with the time of then.
 */
async function placedAgo(minutes: number, city: string, currency?: string): Promise<string> {
	const orderId = randomId();
	const product = DEMO_MENU.find((p) => p.available)!;
	const meta: OrderMeta = {
		orderId,
		items: [{ productId: product.id, name: product.name, quantity: 1, unitPrice: product.price }],
		total: product.price,
		...(currency ? { currency } : {}),
		address: { street: '3 Broad Street', city, postcode: 'OX1 3AS' },
		phone: '+44 1865 000001',
		paymentMethod: 'cod',
		customerId: customer.userId,
		customerName: customer.name,
		createdAt: new Date(Date.now() - minutes * 60_000).toISOString()
	};
	await stack.database.collections.orders.insertOne(indexRowFromMeta(meta));
	await createSyncClient({ baseUrl: stack.sync.url, secret: SECRET }).initOrder(orderId, meta);
	return orderId;
}

describe('live board', () => {
	it('shows active orders by status, live, with today’s counts, partners and conflicts', async () => {
		const accepted = await placeOrder(customer, { city: 'Leeds' });
		expect((await sam.api('POST', `/api/orders/${accepted}/claim`)).status).toBe(200);
		const pending = await placeOrder(customer, { city: 'York' });
		// Priya has never connected; her availability toggle is what tells the board about her.
		expect((await priya.api('POST', '/api/partner/availability', { available: true })).status).toBe(
			200
		);

		const page = await pageFor(ada);
		await open(page, stack, '/admin');
		await page.getByRole('heading', { level: 1, name: 'Live board' }).waitFor();
		await page.getByText('Live', { exact: true }).waitFor();
		await onBoard(column(page, 'Pending'), pending).waitFor();
		await onBoard(column(page, 'Accepted'), accepted).waitFor();
		expect(await stat(page, 'Placed').textContent()).toBe('2');
		expect(await stat(page, 'Active').textContent()).toBe('2');
		expect(await stat(page, 'Delivered').textContent()).toBe('0');
		expect(await stat(page, 'Avg. time to deliver').textContent()).toBe('–');

		// A new order appears without a reload, marked and announced.
		const fresh = await placeOrder(customer, { city: 'Bath' });
		const card = onBoard(column(page, 'Pending'), fresh);
		await card.waitFor();
		await card.getByText('New', { exact: true }).waitFor();
		await page.waitForFunction(() =>
			[...document.querySelectorAll('[aria-live="polite"]')].some((el) =>
				el.textContent?.includes('New order from Casey Customer in Bath')
			)
		);
		await stat(page, 'Placed').filter({ hasText: /^3$/ }).waitFor();
		// Waiting longest first within a column.
		const pendingIds = await column(page, 'Pending')
			.locator('article')
			.evaluateAll((els) => els.map((el) => el.getAttribute('data-order-id')));
		expect(pendingIds).toEqual([pending, fresh]);

		// A claim moves it to Accepted.
		expect((await priya.api('POST', `/api/orders/${fresh}/claim`)).status).toBe(200);
		await onBoard(column(page, 'Accepted'), fresh).waitFor();
		expect(await onBoard(column(page, 'Pending'), fresh).count()).toBe(0);
		await onBoard(column(page, 'Accepted'), fresh).getByText('Priya Wheels').waitFor();

		// Sam works through an order on his phone: it moves column by column, then leaves the board.
		const samsPhone = await device(sam, accepted);
		await step(samsPhone, sam, 'preparing');
		await onBoard(column(page, 'Preparing'), accepted).waitFor();
		await step(samsPhone, sam, 'out_for_delivery', 'delivered');
		await stat(page, 'Delivered').filter({ hasText: /^1$/ }).waitFor();
		expect(await onBoard(column(page, 'Out for delivery'), accepted).count()).toBe(0);
		const row = await eventually(
			() => indexRow(accepted),
			(r) => r?.status === 'delivered',
			'delivered in the index'
		);
		expect(await stat(page, 'Revenue').textContent()).toBe(`$${(row!.total / 100).toFixed(2)}`);
		expect(await stat(page, 'Avg. time to deliver').textContent()).not.toBe('–');
		await page
			.getByRole('region', { name: /^Finished today/ })
			.getByRole('link', { name: ref(accepted) })
			.waitFor();

		// Partners: Sam has a socket open (his phone), Priya has none; the rating follows.
		const samRow = page.locator(`li[data-partner-id="${sam.userId}"]`);
		await samRow.getByText('Online', { exact: true }).waitFor();
		const priyaRow = page.locator(`li[data-partner-id="${priya.userId}"]`);
		await priyaRow.getByText('Offline', { exact: true }).waitFor();
		// availability in the words of the summary above the list, and for later when offline
		expect(await samRow.locator('.availability').innerText()).toBe('taking orders');
		expect(await priyaRow.locator('.availability').innerText()).toBe('available when back');
		const customersPhone = await device(customer, accepted);
		await until(
			customersPhone.doc,
			() => readOrder(customersPhone.doc)?.status === 'delivered',
			'delivered'
		);
		writeRating(customersPhone.doc, { stars: 5, comment: 'Lovely' });
		await samRow.getByText('5.0').waitFor();
		await samRow.getByText('1 delivered').waitFor();

		// A conflicting event (the partner's step after an admin's cancel, a fact from the field
		// the server keeps) is flagged on its card.
		const conflicted = await placeOrder(customer, { city: 'Hull' });
		expect((await sam.api('POST', `/api/orders/${conflicted}/claim`)).status).toBe(200);
		expect((await ada.api('POST', `/api/orders/${conflicted}/cancel`)).status).toBe(200);
		const other = await device(sam, conflicted);
		await step(other, sam, 'preparing');
		// finished orders come from the index (the board's feed holds active ones), where the
		// conflict count is written within SYNC_INDEX_LAZY_MS
		await eventually(
			() => indexRow(conflicted),
			(r) => r?.conflicts === 1,
			'the conflict in the index'
		);
		await open(page, stack, '/admin');
		await page
			.getByRole('region', { name: /^Finished today/ })
			.getByRole('listitem')
			.filter({ has: page.getByRole('link', { name: ref(conflicted), exact: true }) })
			.getByText('⚠ Conflict')
			.waitFor();
		// the count reads as words do: "Finished today (2)"
		await expect
			.poll(async () => (await page.locator('#finished-title').innerText()).trim())
			.toMatch(/^Finished today \(\d+\)$/);
		expect(await horizontalOverflow(page)).toBe(0);
		await screenshot(page, 'admin-board-desktop');

		const phone = await pageFor(ada, VIEWPORTS.phone);
		await open(phone, stack, '/admin');
		await phone.getByText('Live', { exact: true }).waitFor();
		await phone.getByRole('link', { name: ref(conflicted), exact: true }).waitFor();
		expect(await horizontalOverflow(phone)).toBe(0);
		await screenshot(phone, 'admin-board-phone');

		// A card opens the order.
		await page.getByRole('link', { name: ref(conflicted), exact: true }).click();
		await page.waitForURL(`${stack.web.url}/admin/orders/${conflicted}`);
	});
});

describe('a busy board', () => {
	it('filters by search, city, partner and age, marks late orders, and sorts the partners', async () => {
		// two pending orders that have waited long (placed 40 min ago; one in euros, as placed
		// when the shop's CURRENCY was EUR), two fresh ones in another city, one of them claimed
		const late = await placedAgo(40, 'Oxford');
		const lateToo = await placedAgo(40, 'Oxford', 'EUR');
		const fresh = await placeOrder(customer, { city: 'Norwich' });
		const claimed = await placeOrder(customer, { city: 'Norwich' });
		expect((await priya.api('POST', `/api/orders/${claimed}/claim`)).status).toBe(200);
		const page = await pageFor(ada);
		await open(page, stack, '/admin');
		await page.getByText('Live', { exact: true }).waitFor();
		await onBoard(column(page, 'Pending'), fresh).waitFor();
		expect(await onBoard(page, late).getAttribute('data-late')).toBe('');
		expect(await onBoard(page, fresh).getAttribute('data-late')).toBeNull();
		await column(page, 'Pending').getByText('2 late').waitFor();
		// each order's amounts in its own currency
		expect(await onBoard(page, lateToo).textContent()).toContain('€');
		expect(await onBoard(page, late).textContent()).toContain('$');

		// Search: by city or reference, live as one types; the URL keeps it
		const search = page.getByRole('searchbox', { name: 'Search' });
		await search.fill('oxford');
		await expect.poll(() => page.locator('main article[data-order-id]').count()).toBe(2);
		expect(new URL(page.url()).searchParams.get('q')).toBe('oxford');
		await search.fill(ref(fresh));
		await expect
			.poll(() =>
				page
					.locator('main article[data-order-id]')
					.evaluateAll((els) => els.map((el) => el.getAttribute('data-order-id')))
			)
			.toEqual([fresh]);
		await search.fill('');

		// City and partner
		await page.getByLabel('City', { exact: true }).selectOption('Norwich');
		await onBoard(page, claimed).waitFor();
		await expect.poll(() => page.locator('main article[data-order-id]').count()).toBe(2);
		await page.getByLabel('Partner', { exact: true }).selectOption({ label: 'Priya Wheels' });
		await expect
			.poll(() =>
				page
					.locator('main article[data-order-id]')
					.evaluateAll((els) => els.map((el) => el.getAttribute('data-order-id')))
			)
			.toEqual([claimed]);
		// a filtered column says how many of its orders match
		await page.getByRole('region', { name: /^Accepted 1 of \d+ orders?$/ }).waitFor();
		await page.getByLabel('Partner', { exact: true }).selectOption({ label: 'No partner yet' });
		await expect
			.poll(() =>
				page
					.locator('main article[data-order-id]')
					.evaluateAll((els) => els.map((el) => el.getAttribute('data-order-id')))
			)
			.toEqual([fresh]);
		await page.getByRole('link', { name: 'Clear filters' }).click();
		await onBoard(page, late).waitFor();
		// with no filter set, the filter row ends where the columns end (no empty actions box)
		const [filtersEnd, columnsEnd] = await page.evaluate(() => [
			Math.max(
				...[...document.querySelector('.filter-bar')!.children]
					.map((field) => field.getBoundingClientRect())
					.filter((box) => box.width > 0)
					.map((box) => box.right)
			),
			document.querySelector('.columns')!.getBoundingClientRect().right
		]);
		expect(Math.abs(filtersEnd! - columnsEnd!)).toBeLessThan(1);

		// the server's first render (no JavaScript): late there too, filterable by age
		const noJs = await pageFor(ada, VIEWPORTS.desktop, { javaScriptEnabled: false });
		await noJs.goto(`${stack.web.url}/admin?age=30`);
		await expect
			.poll(() =>
				noJs
					.locator('main article[data-order-id]')
					.evaluateAll((els) => els.map((el) => el.getAttribute('data-order-id')).sort())
			)
			.toEqual([late, lateToo].sort());
		expect(await noJs.locator(`article[data-order-id="${late}"]`).getAttribute('data-late')).toBe(
			''
		);
		await noJs.getByRole('region', { name: /^Pending 2 late/ }).waitFor();
		// without JavaScript the filters are applied with a button, as tall as the fields beside it
		const apply = noJs.getByRole('button', { name: 'Apply' });
		const [applyBox, selectBox] = [
			await apply.boundingBox(),
			await noJs.getByLabel('City', { exact: true }).boundingBox()
		];
		expect(Math.abs(applyBox!.height - selectBox!.height)).toBeLessThan(1);
		expect(
			Math.abs(applyBox!.y + applyBox!.height - (selectBox!.y + selectBox!.height))
		).toBeLessThan(1);
		expect(await noJs.locator(`article[data-order-id="${lateToo}"]`).textContent()).toContain('€');
		await noJs
			.getByText(/Late · waiting 4\d min/)
			.first()
			.waitFor();
		// no count the page does not know (the day's numbers need JavaScript here)
		expect((await noJs.locator('#finished-title').innerText()).trim()).toBe('Finished today');
		await screenshot(noJs, 'admin-board-filtered-nojs-desktop');

		// Partners: the ready ones first, the least loaded first
		const partnerIds = await page
			.locator('li[data-partner-id]')
			.evaluateAll((els) => els.map((el) => el.getAttribute('data-partner-id')));
		expect(partnerIds.indexOf(priya.userId)).toBeGreaterThanOrEqual(0);
		await screenshot(page, 'admin-board-busy-desktop');
	});
});

describe('order detail', () => {
	it('shows every event, conflicts with their reason, and cancels with a reason after confirming', async () => {
		// a conflict: the partner's step that reached the server after an admin's cancel
		const conflicted = await placeOrder(customer, { city: 'Ely' });
		expect((await sam.api('POST', `/api/orders/${conflicted}/claim`)).status).toBe(200);
		expect((await ada.api('POST', `/api/orders/${conflicted}/cancel`)).status).toBe(200);
		await step(await device(sam, conflicted), sam, 'preparing');

		const page = await pageFor(ada);
		await open(page, stack, `/admin/orders/${conflicted}`);
		const history = page.getByRole('list', { name: 'Event history' });
		await history.getByText('Conflict', { exact: true }).waitFor();
		await history
			.getByText('Not applied: the order was already cancelled, which is final')
			.waitFor();
		expect(await history.getByRole('listitem').count()).toBe(4); // placed, accepted, cancelled, preparing
		await page.getByText('1 event conflicts.').waitFor();
		await page.getByText('Sam Rider').first().waitFor();
		await page.getByText('12 Baker Street').waitFor();
		await screenshot(page, 'admin-order-conflict-desktop');

		const orderId = await placeOrder(customer, { city: 'Cambridge' });
		expect((await sam.api('POST', `/api/orders/${orderId}/claim`)).status).toBe(200);
		await step(await device(sam, orderId), sam, 'preparing', 'out_for_delivery');
		await open(page, stack, `/admin/orders/${orderId}`);
		await history.getByText('Out for delivery').waitFor();
		expect(await history.getByRole('listitem').count()).toBe(4);
		expect(await history.getByText('Conflict', { exact: true }).count()).toBe(0);
		// what is owed, not the partner's instruction to collect it
		expect(await page.locator('.payment').innerText()).toMatch(
			/^Cash on delivery: \$\d+\.\d\d to collect when delivered\.$/
		);
		await screenshot(page, 'admin-order-desktop');

		await page.getByLabel('Reason').fill('Customer called to cancel');
		await page.getByRole('button', { name: 'Cancel order' }).click();
		const dialog = page.getByRole('dialog', { name: `Cancel order ${ref(orderId)}?` });
		await dialog.waitFor();
		await dialog.getByText('Reason: “Customer called to cancel”').waitFor();
		await dialog.getByRole('button', { name: 'Keep the order' }).click();
		await dialog.waitFor({ state: 'hidden' });
		expect((await indexRow(orderId))?.status).toBe('out_for_delivery');

		await page.getByRole('button', { name: 'Cancel order' }).click();
		await dialog.getByRole('button', { name: 'Yes, cancel the order' }).click();
		await page
			.locator('main')
			.getByText(`Order ${ref(orderId)} is cancelled.`)
			.waitFor();
		await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Cancelled' }).waitFor();
		await history.getByText('“Customer called to cancel”').waitFor();
		await history.getByText('by an admin').waitFor();
		await page.getByRole('button', { name: 'Cancel order' }).waitFor({ state: 'detached' });
		expect((await indexRow(orderId))?.status).toBe('cancelled');

		const phone = await pageFor(ada, VIEWPORTS.phone);
		await open(phone, stack, `/admin/orders/${orderId}`);
		await phone.getByRole('list', { name: 'Event history' }).getByText('Cancelled').waitFor();
		expect(await horizontalOverflow(phone)).toBe(0);
		await screenshot(phone, 'admin-order-phone');
	});

	it('cancels without JavaScript, and refuses to cancel a finished order', async () => {
		const orderId = await placeOrder(customer, { city: 'Derby' });
		const page = await pageFor(ada, VIEWPORTS.phone, { javaScriptEnabled: false });
		await page.goto(`${stack.web.url}/admin/orders/${orderId}`);
		await screenshot(page, 'admin-order-pending-phone');
		await page.getByLabel('Reason').fill('Duplicate order');
		await page.getByRole('button', { name: 'Cancel order' }).click();
		await page
			.locator('main')
			.getByText(`Order ${ref(orderId)} is cancelled.`)
			.waitFor();
		const row = await indexRow(orderId);
		expect(row?.status).toBe('cancelled');

		// Cancelling again (e.g. a second tab) says why it can't.
		const again = await ada.api('POST', `/api/orders/${orderId}/cancel`);
		expect(again.status).toBe(409);
		const missing = await pageFor(ada);
		expect((await missing.goto(`${stack.web.url}/admin/orders/nosuchorder`))?.status()).toBe(404);
	});
});

describe('order history', () => {
	it('pages through all orders and filters by status, with or without JavaScript', async () => {
		const yesterday = Date.now() - 30 * 60 * 60 * 1000;
		const rows: OrderIndexDoc[] = Array.from({ length: 30 }, (_, i) => {
			const at = new Date(yesterday - i * 60_000);
			const cancelled = i % 5 === 0;
			return {
				_id: `h${String(i).padStart(3, '0')}old`,
				customerId: customer.userId,
				customerName: 'Casey Customer',
				partnerId: cancelled ? null : sam.userId,
				partnerName: cancelled ? null : 'Sam Rider',
				status: cancelled ? 'cancelled' : 'delivered',
				total: 1000 + i,
				itemCount: 1,
				items: [{ name: 'Margherita', quantity: 1 }],
				city: 'Oldtown',
				paymentMethod: 'card',
				createdAt: at,
				updatedAt: at,
				claimedAt: cancelled ? null : at,
				deliveredAt: cancelled ? null : at,
				cancelledAt: cancelled ? at : null,
				rating: i === 1 ? { stars: 4, comment: 'Good' } : null,
				conflicts: 0
			};
		});
		await stack.database.collections.orders.insertMany(rows);
		const total = await stack.database.collections.orders.countDocuments();

		const page = await pageFor(ada);
		await open(page, stack, '/admin/orders');
		const table = page.getByRole('table');
		expect(await table.locator('tbody tr').count()).toBe(25);
		await screenshot(page, 'admin-history-desktop');
		await page.getByRole('link', { name: 'Older orders →' }).click();
		await page.waitForURL(/cursor=/);
		expect(await table.locator('tbody tr').count()).toBe(total - 25);
		await page.getByRole('link', { name: '← Newest' }).waitFor();
		expect(await page.getByRole('link', { name: 'Older orders →' }).count()).toBe(0);

		await page.getByLabel('Status').selectOption('cancelled');
		await page.getByRole('button', { name: 'Show' }).click();
		await page.waitForURL(/status=cancelled/);
		const cancelledCount = await stack.database.collections.orders.countDocuments({
			status: 'cancelled'
		});
		expect(await table.locator('tbody tr').count()).toBe(Math.min(25, cancelledCount));
		const statuses = await table.locator('tbody [data-status]').allTextContents();
		expect(new Set(statuses)).toEqual(new Set(['Cancelled']));
		// A row opens the order.
		await table.getByRole('link', { name: ref('h000old') }).waitFor();

		const phone = await pageFor(ada, VIEWPORTS.phone, { javaScriptEnabled: false });
		await phone.goto(`${stack.web.url}/admin/orders`);
		await phone.getByLabel('Status').selectOption('delivered');
		await phone.getByRole('button', { name: 'Show' }).click();
		await phone.waitForURL(/status=delivered/);
		expect(await phone.locator('tbody tr').count()).toBeGreaterThan(0);
		expect(await horizontalOverflow(phone)).toBe(0);
		await screenshot(phone, 'admin-history-phone');

		// Bad parameters get a message, not a 500.
		const bad = await page.goto(`${stack.web.url}/admin/orders?cursor=garbage`);
		expect(bad?.status()).toBe(200);
		await page.getByRole('alert').filter({ hasText: 'Cursor is not valid' }).waitFor();
		await page.goto(`${stack.web.url}/admin/orders?status=lost`);
		await page
			.getByRole('alert')
			.filter({ hasText: '“lost” is not an order status. Choose one of: pending, accepted' })
			.waitFor();
		expect(await page.getByLabel('Status').inputValue()).toBe(''); // "All statuses", not blank
		expect(await page.locator('#status-filter option:checked').textContent()).toBe('All statuses');
		await screenshot(page, 'admin-history-error-desktop');
		// several statuses, as the API takes them: listed, not a 500
		const several = await page.goto(`${stack.web.url}/admin/orders?status=cancelled,delivered`);
		expect(several?.status()).toBe(200);
		await page
			.getByRole('table', { name: 'Orders, cancelled or delivered, newest first' })
			.waitFor();
	});

	it('keeps everyone but admins out', async () => {
		for (const who of [customer, sam]) {
			const page = await pageFor(who);
			expect((await page.goto(`${stack.web.url}/admin`))?.status()).toBe(403);
			expect((await page.goto(`${stack.web.url}/admin/orders`))?.status()).toBe(403);
		}
	});
});
