// The shop in a real browser (Debian Chromium) against the built web app and a seeded FerretDB
// database: categories, live search, `?q=` without JavaScript, images, keyboard access, the
// header per role, and screenshots at phone and desktop widths.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MENU } from '../../src/lib/catalog/demo-menu.ts';
import { filterProducts } from '../../src/lib/catalog/search.ts';
import { CATEGORIES } from '../../src/lib/catalog/types.ts';
import { createSession, SESSION_COOKIE } from '../../src/lib/shared/session.ts';
import { seedCatalog } from '../../src/lib/server/catalog.ts';
import type { Role } from '../../src/lib/order/index.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { launchBrowser, screenshot, VIEWPORTS } from '../support/browser.ts';
import { openTestDatabase } from '../support/database.ts';
import { startWebApp, type RunningProcess } from '../support/processes.ts';

let database: Database;
let app: RunningProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];

const CARD = 'main article.product-card';

beforeAll(async () => {
	const opened = await openTestDatabase('shop');
	database = opened.database;
	await seedCatalog(database.collections);
	app = await startWebApp({ MONGODB_URI: opened.uri });
	browser = await launchBrowser();
});

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => {});
	await browser?.close();
	await app?.stop();
	await database?.close();
});

async function newPage(
	options: { viewport?: { width: number; height: number }; javaScriptEnabled?: boolean } = {}
): Promise<Page> {
	const context = await browser.newContext({
		viewport: options.viewport ?? VIEWPORTS.desktop,
		javaScriptEnabled: options.javaScriptEnabled ?? true,
		reducedMotion: 'reduce'
	});
	contexts.push(context);
	const page = await context.newPage();
	page.setDefaultTimeout(15_000);
	return page;
}

/** Opens the shop and waits until Svelte has hydrated it (the search reacts to typing). */
async function openShop(page: Page, path = '/') {
	await page.goto(app.url + path);
	await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
}

/** Scrolls through the page so lazily loaded images load, then back to the top. */
async function loadAllImages(page: Page) {
	await page.evaluate(async () => {
		for (let y = 0; y < document.body.scrollHeight; y += window.innerHeight / 2) {
			window.scrollTo(0, y);
			await new Promise((r) => setTimeout(r, 50));
		}
		window.scrollTo(0, 0);
	});
	await page.waitForFunction(() =>
		[...document.querySelectorAll('main img')].every((img) => (img as HTMLImageElement).complete)
	);
}

const expectedFor = (query: string) => filterProducts(DEMO_MENU, query);

describe('shop', () => {
	it('lists every category and every dish, with prices', async () => {
		const page = await newPage();
		await openShop(page);
		await expect(page.locator('h1').textContent()).resolves.toContain('What are you craving?');
		const headings = await page.locator('main section.category h2').allTextContents();
		expect(headings.map((h) => h.trim())).toEqual(CATEGORIES.map((c) => c.name));
		const chips = await page.locator('nav[aria-label="Menu categories"] a').count();
		expect(chips).toBe(CATEGORIES.length);
		expect(await page.locator(CARD).count()).toBe(DEMO_MENU.length);
		await expect(page.locator('[role="status"].result-count').textContent()).resolves.toBe(
			`${DEMO_MENU.length} dishes on the menu`
		);
		const margherita = page.locator(CARD, { hasText: 'Margherita' });
		await expect(margherita.locator('.price').textContent()).resolves.toBe('$12.50');
		// A sold-out dish says so.
		const tiramisu = page.locator(CARD, { hasText: 'Tiramisu' });
		await expect(tiramisu.textContent()).resolves.toContain('Sold out');
		// A category chip jumps to its section.
		await page.locator('nav[aria-label="Menu categories"] a', { hasText: 'Drinks' }).click();
		await page.waitForFunction(() => location.hash === '#cat-drinks');
		await page.waitForFunction(() => {
			const box = document.getElementById('cat-drinks')!.getBoundingClientRect();
			return box.top >= 0 && box.top < window.innerHeight / 2;
		});
	});

	it('narrows the list as you type, keeps ?q= in the URL, and shows an empty state', async () => {
		const page = await newPage({ viewport: VIEWPORTS.phone });
		await openShop(page);
		const search = page.getByLabel('Search the menu');

		await search.pressSequentially('spicy');
		const spicy = expectedFor('spicy');
		expect(spicy.length).toBeGreaterThan(1);
		await page.waitForFunction(
			([selector, n]) => document.querySelectorAll(selector as string).length === n,
			[CARD, spicy.length] as const
		);
		const names = await page.locator(`${CARD} h3`).allTextContents();
		expect(names.map((n) => n.trim()).sort()).toEqual(spicy.map((p) => p.name).sort());
		expect(new URL(page.url()).searchParams.get('q')).toBe('spicy');
		const status = page.locator('[role="status"][aria-live="polite"].result-count');
		await expect(status.textContent()).resolves.toBe(`${spicy.length} dishes match “spicy”`);
		// Only the categories that still have matches are offered.
		const chipTexts = await page.locator('nav[aria-label="Menu categories"] a').allTextContents();
		expect(chipTexts.length).toBe(new Set(spicy.map((p) => p.category)).size);

		await search.fill('zzqxv pizza');
		await page.getByRole('heading', { name: 'No dishes match “zzqxv pizza”' }).waitFor();
		expect(await page.locator(CARD).count()).toBe(0);
		await expect(status.textContent()).resolves.toBe('No dishes match “zzqxv pizza”');
		await loadAllImages(page);
		await screenshot(page, 'shop-search-empty-phone');

		await page.getByRole('link', { name: 'Clear search' }).click();
		await page.waitForFunction(
			([selector, n]) => document.querySelectorAll(selector as string).length === n,
			[CARD, DEMO_MENU.length] as const
		);
		expect(await search.inputValue()).toBe('');
		expect(await search.evaluate((el) => el === document.activeElement)).toBe(true);
		expect(new URL(page.url()).search).toBe('');
	});

	it('renders /?q= on the server, so search works with JavaScript disabled', async () => {
		const page = await newPage({ javaScriptEnabled: false });
		await page.goto(`${app.url}/?q=${encodeURIComponent('chicken')}`);
		const chicken = expectedFor('chicken');
		expect(chicken.length).toBeGreaterThan(1);
		expect(await page.locator(CARD).count()).toBe(chicken.length);
		expect(await page.getByLabel('Search the menu').inputValue()).toBe('chicken');

		// Submitting the form is a plain GET that the server answers with the filtered menu.
		await page.getByLabel('Search the menu').fill('lassi');
		await Promise.all([
			page.waitForURL(/\?q=lassi$/),
			page.getByRole('button', { name: 'Search' }).click()
		]);
		expect(await page.locator(`${CARD} h3`).allTextContents()).toEqual(['Mango Lassi']);

		await page.goto(`${app.url}/?q=nothing-like-this`);
		await page.getByRole('heading', { name: 'No dishes match “nothing-like-this”' }).waitFor();
		await Promise.all([
			page.waitForURL((url) => url.pathname === '/' && url.search === ''),
			page.getByRole('link', { name: 'Clear search' }).click()
		]);
		expect(await page.locator(CARD).count()).toBe(DEMO_MENU.length);
	});

	it('loads every product image, with alt text and a fixed size', async () => {
		const page = await newPage();
		await openShop(page);
		await loadAllImages(page);
		const images = await page.locator(`${CARD} img`).evaluateAll((imgs) =>
			(imgs as HTMLImageElement[]).map((img) => ({
				src: img.getAttribute('src'),
				alt: img.alt,
				width: img.getAttribute('width'),
				height: img.getAttribute('height'),
				loading: img.loading,
				loaded: img.complete && img.naturalWidth > 0
			}))
		);
		expect(images).toHaveLength(DEMO_MENU.length);
		for (const img of images) {
			expect(img.loaded, img.src ?? '').toBe(true);
			expect(img.alt.length).toBeGreaterThan(0);
			expect([img.width, img.height]).toEqual(['320', '240']);
		}
		// Below-the-fold images load lazily.
		expect(images.filter((i) => i.loading === 'lazy').length).toBeGreaterThan(DEMO_MENU.length / 2);
	});

	it('is usable from the keyboard: skip link first, then visible focus', async () => {
		const page = await newPage();
		await openShop(page);
		await page.keyboard.press('Tab');
		const skip = await page.evaluate(() => {
			const el = document.activeElement as HTMLElement;
			const box = el.getBoundingClientRect();
			const style = getComputedStyle(el);
			return {
				text: el.textContent?.trim(),
				visible: box.top >= 0 && box.bottom <= window.innerHeight && box.width > 0,
				outline: `${style.outlineStyle} ${style.outlineWidth}`
			};
		});
		expect(skip).toEqual({ text: 'Skip to content', visible: true, outline: 'solid 3px' });

		await page.keyboard.press('Enter');
		await page.waitForFunction(() => document.activeElement?.id === 'main');
		// The next Tab lands inside the main content (the search box), not back in the header.
		await page.keyboard.press('Tab');
		const next = await page.evaluate(() => {
			const el = document.activeElement as HTMLElement;
			return {
				inMain: Boolean(el.closest('main')),
				id: el.id,
				outline: getComputedStyle(el).outlineStyle
			};
		});
		expect(next).toEqual({ inMain: true, id: 'menu-search', outline: 'solid' });

		// Links in the header show a focus ring too.
		await page.goto(app.url + '/');
		await page.keyboard.press('Tab');
		await page.keyboard.press('Tab');
		const brand = await page.evaluate(() => {
			const el = document.activeElement as HTMLElement;
			return { label: el.getAttribute('aria-label'), outline: getComputedStyle(el).outlineStyle };
		});
		expect(brand).toEqual({ label: 'Dispatch, home', outline: 'solid' });
	});

	it('shows a friendly 404 page', async () => {
		const page = await newPage({ viewport: VIEWPORTS.phone });
		const res = await page.goto(`${app.url}/no-such-page`);
		expect(res?.status()).toBe(404);
		await page.getByRole('heading', { level: 1, name: 'We couldn’t find that page' }).waitFor();
		await page.getByRole('link', { name: 'Back to the shop' }).waitFor();
		await screenshot(page, 'error-404-phone');
	});
});

describe('header', () => {
	async function signedInPage(
		role: Role,
		name: string,
		viewport: { width: number; height: number } = VIEWPORTS.desktop
	) {
		const id = `e2e-${role}-${Math.random().toString(36).slice(2, 8)}`;
		const now = new Date();
		await database.collections.users.insertOne({
			_id: id,
			email: `${id}@example.test`,
			name,
			role,
			passwordHash: 'not-used-by-this-test',
			emailVerifiedAt: now,
			...(role === 'partner'
				? { partner: { phone: '+15550100', vehicle: 'bicycle', available: true } }
				: {}),
			createdAt: now,
			updatedAt: now
		});
		const { token } = await createSession(database.collections, id);
		const page = await newPage({ viewport });
		await page.context().addCookies([{ name: SESSION_COOKIE, value: token, url: app.url }]);
		return page;
	}

	const navLabels = (page: Page) =>
		page
			.locator('nav[aria-label="Main"] a')
			.allTextContents()
			.then((t) => t.map((s) => s.trim()));

	it('offers visitors the shop, log in and sign up', async () => {
		const page = await newPage();
		await openShop(page);
		expect(await navLabels(page)).toEqual(['Shop']);
		await page.getByRole('link', { name: 'Log in' }).waitFor();
		await page.getByRole('link', { name: 'Sign up' }).waitFor();
		expect(await page.locator('form[action="/logout"]').count()).toBe(0);
		expect(
			await page.locator('nav[aria-label="Main"] a[aria-current="page"]').textContent()
		).toContain('Shop');
	});

	it('offers each role its own sections and a logout form', async () => {
		const customer = await signedInPage('customer', 'Casey Customer');
		await openShop(customer);
		expect(await navLabels(customer)).toEqual(['Shop', 'My orders']);
		await customer.getByText('Casey Customer').waitFor();
		const logout = customer.locator('header form[action="/logout"]');
		expect(await logout.getAttribute('method')).toBe('POST');
		await logout.getByRole('button', { name: 'Log out' }).waitFor();
		await screenshot(customer, 'header-customer-desktop');

		const partner = await signedInPage('partner', 'Pat Partner');
		await partner.goto(app.url + '/');
		expect(await navLabels(partner)).toEqual(['Open orders', 'My deliveries', 'Profile']);

		const admin = await signedInPage('admin', 'Ada Admin');
		await admin.goto(app.url + '/');
		expect(await navLabels(admin)).toEqual(['Board', 'Orders']);
	});

	it('fits a 360 px phone without sideways scrolling', async () => {
		const page = await signedInPage('partner', 'Priyanka Partner-Longname', VIEWPORTS.phone);
		await openShop(page);
		await screenshot(page, 'header-partner-phone');
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - document.documentElement.clientWidth
		);
		expect(overflow).toBe(0);
		for (const label of ['Open orders', 'My deliveries', 'Profile']) {
			const box = await page.getByRole('link', { name: label }).boundingBox();
			expect(box && box.x >= 0 && box.x + box.width <= VIEWPORTS.phone.width, label).toBe(true);
		}
	});
});

describe('screenshots', () => {
	for (const [name, viewport] of Object.entries(VIEWPORTS)) {
		it(`of the shop at ${name} width`, async () => {
			const page = await newPage({ viewport });
			await openShop(page);
			await loadAllImages(page);
			const overflow = await page.evaluate(
				() => document.documentElement.scrollWidth - document.documentElement.clientWidth
			);
			expect(overflow).toBe(0);
			// every dish's description is there in full, at every width (ingredients matter)
			const clipped = await page
				.locator(`${CARD} .description`)
				.evaluateAll((texts) =>
					texts.filter((t) => t.scrollHeight > t.clientHeight + 1).map((t) => t.textContent)
				);
			expect(clipped).toEqual([]);
			await screenshot(page, `shop-${name}`);
		});
	}

	it('of a search at phone width', async () => {
		const page = await newPage({ viewport: VIEWPORTS.phone });
		await page.goto(app.url + '/?q=pizza');
		await loadAllImages(page);
		await screenshot(page, 'shop-search-phone');
	});
});
