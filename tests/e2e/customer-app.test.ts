// The customer app in a real browser (Debian Chromium) against the real web app, sync-server and
// FerretDB: cart (kept across reloads), checkout with per-field errors, the order page following
// the order document live (claim through the API, partner steps from a y-websocket client in
// Node), cancel with a confirm dialog (and without JavaScript), rating after delivery, history
// (live, paged), and a refused local change (close 4403) dropping the local copy. Screenshots of
// every customer page at phone and desktop widths.
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { formatMoney } from '../../src/lib/catalog/money.ts';
import { DEMO_MENU } from '../../src/lib/catalog/demo-menu.ts';
import {
	appendEvent,
	createEvent,
	orderDocName,
	readOrder,
	type EventType
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
let casey: Person;
let sam: Person;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	stack = await startLiveStack('customer_app');
	browser = await launchBrowser();
	casey = await person(stack, 'customer', 'Casey Customer');
	sam = await person(stack, 'partner', 'Sam Rider');
});

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => undefined);
	await browser?.close();
	await stack?.stop();
});

async function pageFor(
	who: Person,
	viewport: { width: number; height: number } = VIEWPORTS.desktop,
	options = {}
) {
	const { context, page } = await signedInPage(browser, stack, who, viewport, options);
	contexts.push(context);
	return page;
}

const product = (id: string) => {
	const found = DEMO_MENU.find((p) => p.id === id);
	if (!found) throw new Error(`no product ${id}`);
	return found;
};
const MARGHERITA = product('margherita');
const COLA = product('cola');
const FRIES = product('fries');

/** Waits until a live region (polite or assertive) or a toast says something containing `text`. */
function announced(page: Page, text: string) {
	return page.waitForFunction(
		(needle) =>
			[...document.querySelectorAll('[aria-live], [role="alert"], [role="status"]')].some((el) =>
				el.textContent?.includes(needle)
			),
		text
	);
}

const statusHeading = (page: Page, name: string) => page.getByRole('heading', { level: 2, name });
const orderIdFrom = (page: Page) => new URL(page.url()).pathname.split('/').pop()!;

async function addToCart(page: Page, name: string) {
	await page.getByRole('button', { name: `Add ${name} to cart` }).click();
	await announced(page, `Added ${name}`);
}

async function fillAddress(page: Page) {
	await page.getByLabel('Street and number').fill('221B Baker Street');
	await page.getByLabel('City').fill('London');
	await page.getByLabel('Postcode').fill('NW1 6XE');
	await page.getByLabel('Delivery notes').fill('Ring the top bell');
	await page.getByLabel('Phone').fill('+44 20 7946 0018');
}

/** Moves an order on as its partner from "another device" (a y-websocket client in Node). */
async function partnerSteps(orderId: string, steps: EventType[]) {
	const client = await nodeClient(stack, sam, orderDocName(orderId));
	try {
		for (const type of steps) {
			appendEvent(client.doc, createEvent({ userId: sam.userId, role: 'partner' }, type));
			await until(client.doc, () => readOrder(client.doc)?.status === type, `${type} locally`);
		}
		// Accepted and stored by the server (the index follows the document).
		const last = steps[steps.length - 1];
		await eventually(
			() => stack.database.collections.orders.findOne({ _id: orderId }),
			(row) => row?.status === last,
			`index row ${last}`
		);
	} finally {
		client.destroy();
	}
}

describe('cart', () => {
	it('adds from the shop with an announcement, keeps the cart across a reload, and edits it', async () => {
		const page = await pageFor(casey);
		await open(page, stack, '/');
		await page.getByRole('link', { name: 'Cart, empty' }).waitFor();

		await addToCart(page, MARGHERITA.name);
		// The card now offers a stepper, and focus moved to its "+" button.
		const more = page.getByRole('button', { name: `Add one more ${MARGHERITA.name}` });
		await expect(more.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
		await page.keyboard.press('Enter');
		await page.getByRole('link', { name: 'Cart, 2 items' }).waitFor();
		await addToCart(page, COLA.name);
		await addToCart(page, FRIES.name);
		await page.getByRole('link', { name: 'Cart, 4 items' }).waitFor();
		// Sold-out dishes have no button.
		expect(await page.getByRole('button', { name: 'Add Tiramisu to cart' }).count()).toBe(0);
		await page.getByRole('link', { name: /View cart/ }).waitFor();
		await screenshot(page, 'customer-shop-cart-desktop');

		await page.reload();
		await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		await page.getByRole('link', { name: 'Cart, 4 items' }).waitFor();
		await page
			.getByRole('group', { name: `Quantity of ${MARGHERITA.name}` })
			.getByText('2')
			.waitFor();

		await page.getByRole('link', { name: 'Cart, 4 items' }).click();
		await page.getByRole('heading', { level: 1, name: 'Your cart' }).waitFor();
		const lines = page.locator('main ul.lines > li');
		await expect(lines.count()).resolves.toBe(3);
		const subtotal = () => page.locator('dl.totals .total dd').textContent();
		await expect(subtotal()).resolves.toBe(
			formatMoney(2 * MARGHERITA.price + COLA.price + FRIES.price)
		);

		await page.getByRole('button', { name: `Add one more ${COLA.name}` }).click();
		// one way to remove a line here: its Remove button ("−" stops at 1)
		expect(await page.getByRole('button', { name: `Remove ${FRIES.name} from cart` }).count()).toBe(
			1
		);
		expect(await page.getByRole('button', { name: `Remove one ${FRIES.name}` }).isDisabled()).toBe(
			true
		);
		await page.getByRole('button', { name: `Remove ${FRIES.name} from cart` }).click();
		await announced(page, `Removed ${FRIES.name} from your cart`);
		await expect(lines.count()).resolves.toBe(2);
		await page.waitForFunction(
			(text) => document.querySelector('dl.totals .total dd')?.textContent === text,
			formatMoney(2 * MARGHERITA.price + 2 * COLA.price)
		);
		await page.getByRole('link', { name: 'Cart, 4 items' }).waitFor();
		await screenshot(page, 'customer-cart-desktop');

		// Phone widths: the same cart in another browser (its own storage).
		const phone = await pageFor(casey, VIEWPORTS.phone);
		await open(phone, stack, '/');
		await addToCart(phone, MARGHERITA.name);
		await addToCart(phone, COLA.name);
		expect(await horizontalOverflow(phone)).toBe(0);
		await screenshot(phone, 'customer-shop-cart-phone');
		await open(phone, stack, '/cart');
		await phone.getByRole('heading', { level: 1, name: 'Your cart' }).waitFor();
		expect(await horizontalOverflow(phone)).toBe(0);
		await screenshot(phone, 'customer-cart-phone');

		// Emptying the cart shows the way back to the shop.
		for (const name of [MARGHERITA.name, COLA.name]) {
			await phone
				.getByRole('button', { name: `Remove ${name} from cart` })
				.last()
				.click();
		}
		await phone.getByRole('heading', { name: 'Your cart is empty' }).waitFor();
		await phone.getByRole('link', { name: 'Browse the menu' }).waitFor();
	});

	it('lets visitors fill a cart, and sends them to log in at checkout', async () => {
		const context = await browser.newContext({
			viewport: VIEWPORTS.phone,
			serviceWorkers: 'block'
		});
		contexts.push(context);
		const page = await context.newPage();
		page.setDefaultTimeout(15_000);
		await open(page, stack, '/');
		// No empty cart in a visitor's (narrow) header; it appears with the first dish.
		expect(await page.getByRole('link', { name: /^Cart/ }).count()).toBe(0);
		await addToCart(page, MARGHERITA.name);
		await page.getByRole('link', { name: 'Cart, 1 item' }).click();
		await page.getByRole('heading', { level: 1, name: 'Your cart' }).waitFor();
		await page.getByRole('link', { name: 'Go to checkout' }).click();
		await page.waitForURL((url) => url.pathname === '/login');
		expect(new URL(page.url()).searchParams.get('next')).toBe('/checkout');
	});
});

describe('checkout and the live order page', () => {
	let orderId: string;

	it('shows each invalid field, then places the order and opens it live', async () => {
		const page = await pageFor(casey);
		await open(page, stack, '/');
		await addToCart(page, MARGHERITA.name);
		await page.getByRole('button', { name: `Add one more ${MARGHERITA.name}` }).click();
		await addToCart(page, COLA.name);
		await page.goto(`${stack.web.url}/checkout`);
		await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
		await expect(page.getByRole('radio', { name: /Cash on delivery/ }).isChecked()).resolves.toBe(
			true
		);

		// Nothing filled in: every required field says so, and focus goes to the first one.
		await page.getByLabel('Phone').fill('call me');
		await page.getByRole('button', { name: /Place order/ }).click();
		await page.getByText('Street is required.').waitFor();
		await page.getByText('City is required.').waitFor();
		await page.getByText('Postcode is required.').waitFor();
		await page.getByText(/Phone must have 7 to 15 digits/).waitFor();
		for (const label of ['Street and number', 'City', 'Postcode', 'Phone']) {
			await expect(page.getByLabel(label).getAttribute('aria-invalid')).resolves.toBe('true');
		}
		await expect(
			page.getByLabel('Street and number').evaluate((el) => el === document.activeElement)
		).resolves.toBe(true);
		// What was typed is kept.
		await expect(page.getByLabel('Phone').inputValue()).resolves.toBe('call me');
		await screenshot(page, 'customer-checkout-errors-desktop');
		expect(
			await stack.database.collections.orders.countDocuments({ customerId: casey.userId })
		).toBe(0);

		await fillAddress(page);
		// what the shop takes (PAYMENT_METHODS), labelled for what it is
		expect(await page.getByRole('radio', { name: /UPI/ }).count()).toBe(0);
		await page.getByRole('radio', { name: /^Card on delivery/ }).check();
		await page.getByRole('button', { name: /Place order/ }).click();
		await page.waitForURL(/\/orders\/[a-z0-9]+/);
		orderId = orderIdFrom(page);

		await page.getByRole('heading', { level: 1, name: `Order ${ref(orderId)}` }).waitFor();
		await statusHeading(page, 'Waiting for a delivery partner').waitFor();
		await page.getByText('Live', { exact: true }).waitFor();
		await page.getByText('221B Baker Street').waitFor();
		await page.getByRole('list', { name: 'Order progress' }).getByText('by you').waitFor();
		// The cart has done its job.
		await page.getByRole('link', { name: 'Cart, empty' }).waitFor();
		expect(
			await page.evaluate(() => JSON.parse(localStorage.getItem('dispatch:cart')!).lines)
		).toEqual([]);

		const row = await stack.database.collections.orders.findOne({ _id: orderId });
		expect(row?.status).toBe('pending');
		expect(row?.paymentMethod).toBe('card');
		expect(await page.locator('.payment').innerText()).toBe(
			'Card on delivery: you pay by card when it arrives.'
		);
		expect(row?.total).toBe(2 * MARGHERITA.price + COLA.price);
		expect(row?.items).toEqual([
			{ name: MARGHERITA.name, quantity: 2 },
			{ name: COLA.name, quantity: 1 }
		]);
		await screenshot(page, 'customer-order-pending-desktop');

		const phone = await pageFor(casey, VIEWPORTS.phone);
		await open(phone, stack, `/orders/${orderId}`);
		await statusHeading(phone, 'Waiting for a delivery partner').waitFor();
		await phone.getByText('221B Baker Street').waitFor();
		expect(await horizontalOverflow(phone)).toBe(0);
		await screenshot(phone, 'customer-order-pending-phone');

		// The checkout form at phone width, with its errors.
		await open(phone, stack, '/');
		await addToCart(phone, FRIES.name);
		await open(phone, stack, '/checkout');
		// the address of the last order is offered; a new one starts empty
		await phone.getByRole('radio', { name: /A new address/ }).check();
		await phone.getByRole('button', { name: /Place order/ }).click();
		await phone.getByText('Street is required.').waitFor();
		expect(await horizontalOverflow(phone)).toBe(0);
		await screenshot(phone, 'customer-checkout-errors-phone');
	});

	it('offers the saved addresses (the last used picked) and the phone; the account edits them', async () => {
		const page = await pageFor(casey);
		await open(page, stack, '/');
		await addToCart(page, FRIES.name);
		await open(page, stack, '/checkout');
		const saved = page.getByRole('group', { name: 'Deliver to' });
		const last = saved.getByRole('radio', { name: /221B Baker Street/ });
		await expect(last.isChecked()).resolves.toBe(true);
		await saved.getByText('Last used').waitFor();
		await expect(page.getByLabel('Street and number').inputValue()).resolves.toBe(
			'221B Baker Street'
		);
		await expect(page.getByLabel('Postcode').inputValue()).resolves.toBe('NW1 6XE');
		await expect(page.getByLabel('Delivery notes').inputValue()).resolves.toBe('Ring the top bell');
		await expect(page.getByLabel('Phone').inputValue()).resolves.toBe('+44 20 7946 0018');
		await screenshot(page, 'customer-checkout-saved-desktop');

		// a new address: the fields start empty; the order saves it as the last used
		await saved.getByRole('radio', { name: /A new address/ }).check();
		await expect(page.getByLabel('Street and number').inputValue()).resolves.toBe('');
		await page.getByLabel('Street and number').fill('4 Privet Drive');
		await page.getByLabel('City').fill('Little Whinging');
		await page.getByLabel('Postcode').fill('GU1 1AA');
		await page.getByRole('button', { name: /Place order/ }).click();
		await page.waitForURL(/\/orders\/[a-z0-9]+/);

		await open(page, stack, '/');
		await addToCart(page, COLA.name);
		await open(page, stack, '/checkout');
		await expect(saved.getByRole('radio', { name: /4 Privet Drive/ }).isChecked()).resolves.toBe(
			true
		);
		// picking the older one fills its fields again
		await saved.getByRole('radio', { name: /221B Baker Street/ }).check();
		await expect(page.getByLabel('City').inputValue()).resolves.toBe('London');

		// the account page edits and deletes them, and keeps the phone
		await open(page, stack, '/account');
		const addresses = page.getByRole('region', { name: 'Delivery addresses' });
		await addresses.locator('summary', { hasText: '4 Privet Drive' }).click();
		await addresses.locator('details[open]').getByLabel('Postcode').fill('GU1 2BB');
		await addresses.getByRole('button', { name: 'Save address' }).click();
		await addresses.getByText('Address saved.').waitFor();
		await addresses.getByText('GU1 2BB Little Whinging').waitFor();
		await addresses.locator('summary', { hasText: '221B Baker Street' }).click();
		await addresses.getByRole('button', { name: 'Delete 221B Baker Street' }).click();
		await addresses.getByText('Address deleted.').waitFor();
		expect(await addresses.locator('summary', { hasText: '221B Baker Street' }).count()).toBe(0);
		await expect(page.getByLabel('Phone for deliveries').inputValue()).resolves.toBe(
			'+44 20 7946 0018'
		);
		await screenshot(page, 'customer-account-addresses-desktop');
		const user = await stack.database.collections.users.findOne({ _id: casey.userId });
		expect(user?.customer?.addresses.map((a) => a.postcode)).toEqual(['GU1 2BB']);
	});

	it('never fails silently when the order cannot be sent', async () => {
		const page = await pageFor(casey);
		await open(page, stack, '/');
		await addToCart(page, FRIES.name);
		await open(page, stack, '/checkout');
		await fillAddress(page);
		const before = await stack.database.collections.orders.countDocuments({
			customerId: casey.userId
		});

		// The browser knows it is offline: the order is queued on the device, and the page says so
		// (sending it later is tests/e2e/offline-customer.test.ts); here it is taken back.
		await page.context().setOffline(true);
		await page.getByRole('button', { name: /Place order/ }).click();
		const queued = page.getByTestId('order-queued');
		await queued.getByText('Your order will be sent when you’re back online').waitFor();
		await queued.getByRole('button', { name: 'Don’t send it' }).click();
		await queued.waitFor({ state: 'detached' });
		await page.context().setOffline(false);

		// The connection drops while sending: the request never reaches the server.
		await page.route('**/checkout', (route) =>
			route.request().method() === 'POST' ? route.abort('internetdisconnected') : route.fallback()
		);
		await page.getByRole('button', { name: /Place order/ }).click();
		await page
			.getByRole('alert')
			.getByText(/We could not reach Dispatch/)
			.waitFor();
		await expect(page.getByRole('button', { name: /Place order/ }).isEnabled()).resolves.toBe(true);
		expect(
			await stack.database.collections.orders.countDocuments({ customerId: casey.userId })
		).toBe(before);
		await page.getByRole('link', { name: 'Cart, 1 item' }).waitFor();

		// Back online, the same form goes through.
		await page.unroute('**/checkout');
		await page.getByRole('button', { name: /Place order/ }).click();
		await page.waitForURL(/\/orders\/[a-z0-9]+/);
		await statusHeading(page, 'Waiting for a delivery partner').waitFor();
		expect(
			await stack.database.collections.orders.countDocuments({ customerId: casey.userId })
		).toBe(before + 1);
	});

	it('follows the claim and every partner step live, then takes a rating', async () => {
		const page = await pageFor(casey);
		await open(page, stack, `/orders/${orderId}`);
		await page.getByText('Live', { exact: true }).waitFor();
		const progress = page.getByRole('list', { name: 'Order progress' });

		const claimed = await sam.api('POST', `/api/orders/${orderId}/claim`);
		expect(claimed.status).toBe(200);
		await statusHeading(page, 'Sam Rider accepted your order').waitFor();
		await progress.getByText('by Sam Rider (partner)').waitFor();
		await page.getByText('Sam Rider', { exact: true }).waitFor(); // the delivery card
		// Too late to cancel.
		expect(await page.getByRole('button', { name: 'Cancel order' }).count()).toBe(0);

		await partnerSteps(orderId, ['preparing']);
		await statusHeading(page, 'Your order is being prepared').waitFor();
		await announced(page, `Order ${ref(orderId)}: Preparing`);
		await partnerSteps(orderId, ['out_for_delivery']);
		await statusHeading(page, 'Sam Rider is on the way').waitFor();
		await partnerSteps(orderId, ['delivered']);
		await statusHeading(page, 'Sam Rider delivered your order').waitFor();
		await expect(progress.locator('li.done').count()).resolves.toBe(5);
		// paid by card at the door (chosen at checkout): said as done once delivered
		expect(await page.locator('.payment').innerText()).toBe('Paid by card on delivery.');

		// Rating: a radio group drawn as stars, plus a comment.
		const rating = page.getByRole('region', { name: 'Rate your delivery' });
		// before a choice the line under the stars is a muted hint, not bold like a verdict
		const word = rating.locator('.word');
		expect(await word.innerText()).toBe('Choose 1 to 5 stars');
		expect(await word.evaluate((el) => getComputedStyle(el).fontWeight)).toBe('400');
		await rating.getByRole('button', { name: 'Send rating' }).click();
		await rating.getByText('Choose how many stars to give.').waitFor();
		expect(await rating.getByText('Choose 1 to 5 stars').count()).toBe(0); // said once
		await screenshot(page, 'customer-order-delivered-desktop');
		await rating.getByRole('radio', { name: '4 stars, Very good' }).check();
		await rating.getByLabel('Comment').fill('Warm and quick, thanks Sam!');
		await rating.getByRole('button', { name: 'Send rating' }).click();
		await page.getByRole('heading', { name: 'Your rating' }).waitFor();
		await page.getByText('“Warm and quick, thanks Sam!”').waitFor();
		await page.getByRole('img', { name: '4 out of 5 stars' }).waitFor();

		// It reached the server: the partner's device sees it and the index has it.
		const partnerView = await nodeClient(stack, sam, orderDocName(orderId));
		try {
			await until(
				partnerView.doc,
				() => readOrder(partnerView.doc)?.rating?.stars === 4,
				'rating on the server'
			);
		} finally {
			partnerView.destroy();
		}
		await eventually(
			() => stack.database.collections.orders.findOne({ _id: orderId }),
			(row) => row?.rating?.stars === 4,
			'rating in the index'
		);
		await screenshot(page, 'customer-order-rated-desktop');

		const phone = await pageFor(casey, VIEWPORTS.phone);
		await open(phone, stack, `/orders/${orderId}`);
		await phone.getByRole('heading', { name: 'Your rating' }).waitFor();
		expect(await horizontalOverflow(phone)).toBe(0);
		await screenshot(phone, 'customer-order-rated-phone');
	});

	it('cancels a pending order after confirming, and keeps it when the dialog is dismissed', async () => {
		const id = await placeOrder(casey);
		const page = await pageFor(casey);
		await open(page, stack, `/orders/${id}`);
		await page.getByText('Live', { exact: true }).waitFor();

		const cancel = page.getByRole('button', { name: 'Cancel order' });
		await cancel.click();
		const dialog = page.getByRole('dialog', { name: 'Cancel this order?' });
		await dialog.waitFor();
		// Escape closes it, nothing changes, and focus returns to the button.
		await page.keyboard.press('Escape');
		await dialog.waitFor({ state: 'hidden' });
		await expect(cancel.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
		expect((await stack.database.collections.orders.findOne({ _id: id }))?.status).toBe('pending');

		await cancel.click();
		await dialog.getByRole('button', { name: 'Yes, cancel order' }).click();
		await statusHeading(page, 'Order cancelled').waitFor();
		await page.getByText('Cancelled by you.').waitFor();
		await page.getByRole('list', { name: 'Order progress' }).getByText('Cancelled').waitFor();
		expect(await cancel.count()).toBe(0);
		expect((await stack.database.collections.orders.findOne({ _id: id }))?.status).toBe(
			'cancelled'
		);
	});

	it('works without JavaScript: the order renders from the server and can be cancelled', async () => {
		const id = await placeOrder(casey, { city: 'Bristol' });
		const page = await pageFor(casey, VIEWPORTS.desktop, { javaScriptEnabled: false });
		await page.goto(`${stack.web.url}/orders/${id}`);
		await statusHeading(page, 'Waiting for a delivery partner').waitFor();
		await page.getByText('Bristol').waitFor();
		await page.getByRole('button', { name: 'Cancel order' }).click();
		await statusHeading(page, 'Order cancelled').waitFor();
		expect((await stack.database.collections.orders.findOne({ _id: id }))?.status).toBe(
			'cancelled'
		);
	});

	it('reconnects by itself after the connection drops, and catches up on what it missed', async () => {
		const id = await placeOrder(casey);
		const page = await pageFor(casey);
		// Every socket to the order's room goes through this route, so the test can cut it.
		const sockets: WebSocketRoute[] = [];
		let serverUp = true;
		await page.routeWebSocket(/\/order\//, (ws) => {
			sockets.push(ws);
			if (serverUp) ws.connectToServer();
			else void ws.close({ code: 1013, reason: 'try again later' });
		});
		await open(page, stack, `/orders/${id}`);
		await page.getByText('Live', { exact: true }).waitFor();

		serverUp = false;
		await sockets[0]!.close({ code: 1001, reason: 'server restarting' });
		await page.getByText('Offline: showing the last known state').waitFor();
		// While the page is away, a partner claims the order.
		expect((await sam.api('POST', `/api/orders/${id}/claim`)).status).toBe(200);
		// It keeps trying (with backoff) while the server is away…
		await eventually(
			async () => sockets.length,
			(n) => n >= 3,
			'two failed retries',
			15_000
		);
		// …and catches up once it is back, without a reload.
		serverUp = true;
		await statusHeading(page, 'Sam Rider accepted your order').waitFor();
		await page.getByText('Live', { exact: true }).waitFor();
	});

	it('drops a local change the server refuses (close 4403), reloads the order and says why', async () => {
		const id = await placeOrder(casey);
		// A tampered device copy: the server's state plus a "delivered" the customer may not write.
		const client = await nodeClient(stack, casey, orderDocName(id));
		const forged = new Y.Doc();
		Y.applyUpdate(forged, Y.encodeStateAsUpdate(client.doc));
		client.destroy();
		appendEvent(forged, createEvent({ userId: casey.userId, role: 'customer' }, 'delivered'));
		const update = Array.from(Y.encodeStateAsUpdate(forged));

		const page = await pageFor(casey);
		await open(page, stack, '/');
		await page.evaluate(
			async ({ name, bytes }) => {
				await new Promise<void>((resolve, reject) => {
					const request = indexedDB.open(name);
					request.onupgradeneeded = () => {
						request.result.createObjectStore('updates', { autoIncrement: true });
						request.result.createObjectStore('custom');
					};
					request.onerror = () => reject(request.error);
					request.onsuccess = () => {
						const db = request.result;
						const tx = db.transaction('updates', 'readwrite');
						tx.objectStore('updates').add(new Uint8Array(bytes));
						tx.oncomplete = () => {
							db.close();
							resolve();
						};
						tx.onerror = () => reject(tx.error);
					};
				});
			},
			{ name: `dispatch/${casey.userId}/order/${id}`, bytes: update }
		);

		await open(page, stack, `/orders/${id}`);
		const problem = page
			.getByRole('alert')
			.filter({ hasText: `on order ${ref(id)} did not apply` });
		await problem.getByText(/customers may only cancel their order while it is pending/).waitFor();
		// said once, where the order is: no toast repeating it
		expect(await page.locator('.toaster .toast').count()).toBe(0);
		await statusHeading(page, 'Waiting for a delivery partner').waitFor();
		await page.getByText('Live', { exact: true }).waitFor();
		expect((await stack.database.collections.orders.findOne({ _id: id }))?.status).toBe('pending');

		// The refused change is gone from the device: a reload syncs without another refusal.
		await page.reload();
		await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		await page.getByText('Live', { exact: true }).waitFor();
		await statusHeading(page, 'Waiting for a delivery partner').waitFor();
		await page.waitForTimeout(500);
		expect(await page.getByText('did not apply').count()).toBe(0);
	});
});

describe('order history', () => {
	it('lists the orders newest first, adds new ones and status changes live', async () => {
		const page = await pageFor(casey);
		await open(page, stack, '/orders');
		await page.getByRole('heading', { level: 1, name: 'My orders' }).waitFor();
		await page.getByText('Live', { exact: true }).waitFor();
		const rows = await stack.database.collections.orders
			.find({ customerId: casey.userId })
			.toArray();
		expect(rows.length).toBeGreaterThan(0);
		for (const row of rows)
			await page.getByRole('link', { name: new RegExp(`Order ${ref(row._id)}`) }).waitFor();

		const id = await placeOrder(casey, { city: 'Cardiff' });
		const active = page.getByRole('list', { name: 'Orders in progress' });
		const link = active.getByRole('link', { name: new RegExp(`Order ${ref(id)}`) });
		await link.waitFor();
		await link.getByText('Pending').waitFor();
		// Newest first.
		await expect(active.getByRole('link').first().textContent()).resolves.toContain(ref(id));

		expect((await sam.api('POST', `/api/orders/${id}/claim`)).status).toBe(200);
		await link.getByText('Accepted').waitFor();
		await link.getByText('with Sam Rider').waitFor();
		await screenshot(page, 'customer-history-desktop');

		await link.click();
		await page.getByRole('heading', { level: 1, name: `Order ${ref(id)}` }).waitFor();

		const phone = await pageFor(casey, VIEWPORTS.phone);
		await open(phone, stack, '/orders');
		await phone.getByRole('list', { name: 'Past orders' }).waitFor();
		expect(await horizontalOverflow(phone)).toBe(0);
		await screenshot(phone, 'customer-history-phone');
	});

	it('pages older orders in without duplicates, and shows an empty state for a new customer', async () => {
		const olive = await person(stack, 'customer', 'Olive Older');
		const page = await pageFor(olive);
		await open(page, stack, '/orders');
		await page.getByRole('heading', { name: 'No orders yet' }).waitFor();
		await page.getByRole('link', { name: 'Browse the menu' }).waitFor();

		const ids: string[] = [];
		for (let i = 0; i < 23; i++)
			ids.push(await placeOrder(olive, { items: [{ productId: 'cola', quantity: 1 }] }));
		await open(page, stack, '/orders');
		const older = page.getByRole('link', { name: 'Older orders' });
		await older.click();
		await page.getByText('That’s all your orders.').waitFor();
		const shown = page.locator('main ul.orders a.order');
		await expect(shown.count()).resolves.toBe(23);
		const refs = await shown.locator('.ref').allTextContents();
		expect(new Set(refs).size).toBe(23);
		expect(refs.sort()).toEqual(ids.map((id) => `Order ${ref(id)}`).sort());
	});
});
