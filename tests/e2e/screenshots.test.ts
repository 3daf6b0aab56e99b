// Every main page of the three apps at phone and desktop sizes, as its signed-in person sees it
// with real data, saved to test-results/screenshots/pages-<page>-<size>.png for people to look at
// (docs/web-quality.md says what was looked at). Each page must also fit its width (no sideways
// scrolling) and show its live badge settled.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MENU } from '../../src/lib/catalog/demo-menu.ts';
import { appendEvent, createEvent, orderDocName } from '../../src/lib/order/index.ts';
import { launchBrowser, screenshot, VIEWPORTS } from '../support/browser.ts';
import {
	contentOffsetFromHeader,
	headerRowGap,
	misplacedSeparators,
	horizontalOverflow,
	nodeClient,
	person,
	placeOrder,
	signedInPage,
	startLiveStack,
	type LiveStack,
	type Person
} from '../support/live-stack.ts';
import type { ProviderClient } from '../support/sync-clients.ts';

let stack: LiveStack;
let browser: Browser;
let customer: Person;
let sam: Person;
let priya: Person;
let ada: Person;
const contexts: BrowserContext[] = [];
const devices: ProviderClient[] = [];
const orders: Record<string, string> = {};

beforeAll(async () => {
	stack = await startLiveStack('screenshots');
	browser = await launchBrowser();
	customer = await person(stack, 'customer', 'Casey Customer');
	sam = await person(stack, 'partner', 'Sam Rider');
	priya = await person(stack, 'partner', 'Priya Wheels');
	ada = await person(stack, 'admin', 'Ada Admin');
	// a day's worth of orders in every state
	const cities = ['London', 'Leeds', 'York', 'Bath', 'Bristol', 'Oxford', 'Norwich', 'Hull'];
	const ids: string[] = [];
	for (const city of cities) ids.push(await placeOrder(customer, { city }));
	const [open, accepted, preparing, out, delivered, cancelled] = ids;
	for (const id of [accepted, preparing, out, delivered]) {
		expect((await sam.api('POST', `/api/orders/${id}/claim`)).status).toBe(200);
	}
	expect((await priya.api('POST', `/api/orders/${ids[6]}/claim`)).status).toBe(200);
	const steps: Array<[string, Array<'preparing' | 'out_for_delivery' | 'delivered'>]> = [
		[preparing!, ['preparing']],
		[out!, ['preparing', 'out_for_delivery']],
		[delivered!, ['preparing', 'out_for_delivery', 'delivered']]
	];
	for (const [id, types] of steps) {
		const device = await nodeClient(stack, sam, orderDocName(id));
		devices.push(device);
		for (const type of types) {
			appendEvent(device.doc, createEvent({ userId: sam.userId, role: 'partner' }, type));
		}
	}
	expect((await customer.api('POST', `/api/orders/${cancelled}/cancel`)).status).toBe(200);
	Object.assign(orders, { open, accepted, preparing, out, delivered, cancelled });
	await new Promise((resolve) => setTimeout(resolve, 1_500)); // projections settle
});

afterAll(async () => {
	for (const device of devices) device.destroy();
	for (const context of contexts) await context.close().catch(() => undefined);
	await browser?.close();
	await stack?.stop();
});

/** --c-danger (app.css): what every destructive button's text must be, whatever loaded last. */
const DANGER_TEXT = 'rgb(180, 35, 24)';

/** The text colour of each destructive button (cancel, remove) on the page. */
function destructiveColors(page: Page): Promise<string[]> {
	return page
		.locator('.btn.destructive')
		.evaluateAll((buttons) => buttons.map((button) => getComputedStyle(button).color));
}

/**
 * `destructive`: the page has a destructive button (checked red like any other); `shows`: what
 * the page must say before it is taken.
 */
async function shoot(
	who: Person | null,
	path: () => string,
	name: string,
	{
		destructive = false,
		shows
	}: { destructive?: boolean; shows?: (page: Page) => Promise<void> } = {}
) {
	for (const [size, viewport] of Object.entries(VIEWPORTS)) {
		let page: Page;
		if (who) {
			const opened = await signedInPage(browser, stack, who, viewport);
			contexts.push(opened.context);
			page = opened.page;
		} else {
			const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
			contexts.push(context);
			page = await context.newPage();
		}
		await page.goto(stack.web.url + path());
		await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		// live pages: wait until their document or feed is here
		const badge = page.locator('.live-badge[role="status"]');
		if ((await badge.count()) > 0) await badge.first().filter({ hasText: 'Live' }).waitFor();
		await page.waitForTimeout(300);
		expect(await horizontalOverflow(page), `${name} at ${size}`).toBe(0);
		await shows?.(page);
		expect(await headerRowGap(page), `${name} at ${size}: the header's first row`).toBeLessThan(4);
		const offset = await contentOffsetFromHeader(page);
		if (offset) {
			expect(
				offset.left,
				`${name} at ${size}: content's left edge under the header's`
			).toBeLessThan(1);
			expect(
				offset.right,
				`${name} at ${size}: content's right edge under the header's`
			).toBeLessThan(1);
		}
		expect(await misplacedSeparators(page), `${name} at ${size}: a line starting with "·"`).toEqual(
			[]
		);
		const colors = await destructiveColors(page);
		if (destructive) expect(colors.length, `${name}: destructive buttons`).toBeGreaterThan(0);
		for (const color of colors) expect(color, name).toBe(DANGER_TEXT);
		await screenshot(page, `pages-${name}-${size}`);
		await page.context().close();
	}
}

/** The account page names the address once, in its Email card (with whether it is confirmed). */
async function emailShownOnce(page: Page) {
	const shown = await page.locator('main .email').allTextContents();
	expect(shown).toHaveLength(1);
	await page.locator('#verification .email').waitFor();
}

describe('every main page, phone and desktop', () => {
	it('the shop and the account pages', async () => {
		await shoot(null, () => '/', 'shop-visitor');
		await shoot(null, () => '/login', 'login');
		await shoot(null, () => '/register', 'register');
		await shoot(customer, () => '/', 'shop');
		await shoot(customer, () => '/account', 'account-customer', { shows: emailShownOnce });
	});

	it('the customer’s cart, checkout and orders', async () => {
		const dish = DEMO_MENU.find((p) => p.available)!;
		// a cart in localStorage (per context): put it there through the page
		for (const [size, viewport] of Object.entries(VIEWPORTS)) {
			const { context, page } = await signedInPage(browser, stack, customer, viewport);
			contexts.push(context);
			await page.goto(`${stack.web.url}/`);
			await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
			await page.getByRole('button', { name: `Add ${dish.name} to cart` }).click();
			for (const [path, name] of [
				['/cart', 'cart'],
				['/checkout', 'checkout']
			] as const) {
				await page.goto(stack.web.url + path);
				await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
				await page.waitForTimeout(300);
				expect(await horizontalOverflow(page), `${name} at ${size}`).toBe(0);
				const colors = await destructiveColors(page);
				if (name === 'cart') expect(colors.length, 'the cart’s Remove').toBeGreaterThan(0);
				for (const color of colors) expect(color, name).toBe(DANGER_TEXT);
				await screenshot(page, `pages-${name}-${size}`);
			}
			await context.close();
		}
		await shoot(customer, () => '/orders', 'orders', {
			// "$39.50 · 5 min ago · with Sam" on every card (checked by shoot like every such row)
			shows: async (page) => expect(await page.locator('.dot-row').count()).toBeGreaterThan(0)
		});
		await shoot(customer, () => `/orders/${orders.open}`, 'order-pending', { destructive: true });
		await shoot(customer, () => `/orders/${orders.out}`, 'order-on-the-way');
		await shoot(customer, () => `/orders/${orders.delivered}`, 'order-delivered');
	});

	it('the partner app', async () => {
		await shoot(sam, () => '/partner', 'partner-open');
		await shoot(sam, () => '/partner/orders', 'partner-deliveries');
		await shoot(sam, () => `/partner/orders/${orders.accepted}`, 'partner-order');
		await shoot(sam, () => '/partner/profile', 'partner-profile');
		await shoot(sam, () => '/account', 'account-partner', { shows: emailShownOnce });
	});

	it('the admin app', async () => {
		await shoot(ada, () => '/admin', 'admin-board', {
			// Sam's numbers as the index has them: three under way, one delivered
			shows: async (page) => {
				const samRow = page.locator(`li[data-partner-id="${sam.userId}"]`);
				await samRow.getByText('3 active').waitFor({ timeout: 5_000 });
				await samRow.getByText('1 delivered').waitFor({ timeout: 5_000 });
			}
		});
		await shoot(ada, () => `/admin/orders/${orders.out}`, 'admin-order');
		await shoot(ada, () => '/admin/orders', 'admin-history');
	});
});
