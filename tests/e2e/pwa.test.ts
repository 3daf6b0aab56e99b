// The installable app in Chromium against the real built web app: a valid web app manifest whose
// icons exist at their stated sizes, a service worker that installs, precaches the shell and
// controls the pages; each role's main page (and the customer's order page) reloads with no
// network, showing the last known state; a route never opened offline gets the offline page; a
// new version deployed while a page is open brings up "New version available — Reload".
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../support/browser.ts';
import { freePort } from '../support/ports.ts';
import { startProcess } from '../support/processes.ts';
import {
	connection,
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
let ada: Person;
let orderId: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	stack = await startOfflineStack('pwa');
	browser = await launchBrowser();
	customer = await person(stack, 'customer', 'Casey Customer');
	sam = await person(stack, 'partner', 'Sam Rider');
	ada = await person(stack, 'admin', 'Ada Admin');
	orderId = await placeOrder(customer);
});

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => undefined);
	await browser?.close();
	await stack?.stop();
});

async function newContext(who: Person | null): Promise<BrowserContext> {
	const context = await pwaContext(browser, stack, who);
	contexts.push(context);
	return context;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	expect([...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
	return { width: view.getUint32(16), height: view.getUint32(20) };
}

interface ManifestIcon {
	src: string;
	sizes: string;
	type: string;
	purpose?: string;
}

describe('web app manifest', () => {
	it('has what an installable app needs, and every icon exists at its stated size', async () => {
		const res = await fetch(`${stack.web.url}/manifest.webmanifest`);
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toContain('manifest+json');
		const manifest = (await res.json()) as Record<string, unknown> & { icons: ManifestIcon[] };
		expect(manifest).toMatchObject({
			name: expect.stringContaining('Dispatch'),
			short_name: 'Dispatch',
			start_url: '/start',
			scope: '/',
			display: 'standalone',
			theme_color: '#0f5132',
			background_color: expect.stringMatching(/^#[0-9a-f]{6}$/)
		});
		const pngs = manifest.icons.filter((icon) => icon.type === 'image/png');
		for (const size of ['192x192', '512x512']) {
			for (const purpose of ['any', 'maskable']) {
				expect(pngs.some((icon) => icon.sizes === size && icon.purpose === purpose)).toBe(true);
			}
		}
		for (const icon of pngs) {
			const file = await fetch(new URL(icon.src, stack.web.url));
			expect(file.status).toBe(200);
			const [width, height] = icon.sizes.split('x').map(Number);
			const bytes = new Uint8Array(await file.arrayBuffer());
			expect(pngSize(bytes)).toEqual({ width, height });
			// rendered from the SVG (npm run icons): the theme's green up to the edge, no dark ring
			const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
			const pixel = (x: number, y: number) => {
				const i = (y * info.width + x) * info.channels;
				return [...data.subarray(i, i + info.channels)];
			};
			const green = [0x0f, 0x51, 0x32, 255];
			expect(pixel(Math.floor(width! / 2), 1), icon.src).toEqual(green);
			expect(pixel(1, Math.floor(height! / 2)), icon.src).toEqual(green);
			if (icon.purpose === 'any') expect(pixel(0, 0)[3], icon.src).toBe(0);
			else expect(pixel(0, 0), icon.src).toEqual(green);
		}
		// The file served is the one the build wrote from src/lib/pwa/options.ts.
		expect(JSON.parse(readFileSync('build/client/manifest.webmanifest', 'utf8'))).toEqual(manifest);
	});
});

describe('the installed app’s start', () => {
	it('opens on each person’s home: the board for admins, open orders for partners, the shop', async () => {
		const cases: Array<[Person | null, string]> = [
			[ada, '/admin'],
			[sam, '/partner'],
			[customer, '/'],
			[null, '/']
		];
		for (const [who, home] of cases) {
			const res = await fetch(`${stack.web.url}/start`, {
				redirect: 'manual',
				headers: who ? { cookie: `dispatch_session=${who.token}` } : {}
			});
			expect(res.status).toBe(303);
			expect(res.headers.get('location')).toBe(home);
			expect(res.headers.get('cache-control')).toBe('no-store');
		}
	});

	it('offline, opens the home this device last saw the person on', async () => {
		const context = await newContext(ada);
		const page = await context.newPage();
		await openPath(page, stack, '/admin');
		await whenControlled(page);
		await openPath(page, stack, '/admin');
		await context.setOffline(true);
		await page.goto(`${stack.web.url}/start`);
		await page.waitForURL(`${stack.web.url}/admin`);
		await page.getByRole('heading', { level: 1, name: 'Live board' }).waitFor();
		await context.close();
	});
});

describe('service worker', () => {
	it('installs, controls the page and precaches the shell and the offline page', async () => {
		const context = await newContext(null);
		const page = await context.newPage();
		await openPath(page, stack, '/');
		expect(await page.locator('link[rel="manifest"]').getAttribute('href')).toMatch(
			/manifest\.webmanifest$/
		);
		await whenControlled(page);
		const worker = await page.evaluate(async () => {
			const registration = await navigator.serviceWorker.ready;
			const names = await caches.keys();
			const precache = names.find((name) => name.startsWith('workbox-precache'));
			const urls = precache
				? (await (await caches.open(precache)).keys()).map((r) => new URL(r.url).pathname)
				: [];
			return {
				script: registration.active?.scriptURL ?? '',
				state: registration.active?.state,
				scope: registration.scope,
				urls
			};
		});
		expect(new URL(worker.script).pathname).toBe('/sw.js');
		expect(worker.state).toBe('activated');
		expect(new URL(worker.scope).pathname).toBe('/');
		expect(worker.urls).toContain('/offline');
		expect(worker.urls).toContain('/manifest.webmanifest');
		expect(
			worker.urls.some((url) => /^\/_app\/immutable\/entry\/start\.[\w-]+\.js$/.test(url))
		).toBe(true);
	});
});

describe('pages reload with no network', () => {
	const cases: Array<{ role: string; who: () => Person; path: () => string; shows: string }> = [
		{ role: 'customer', who: () => customer, path: () => '/', shows: 'h1' },
		{
			role: 'customer (order page)',
			who: () => customer,
			path: () => `/orders/${orderId}`,
			shows: 'text=Waiting for a delivery partner'
		},
		{ role: 'partner', who: () => sam, path: () => '/partner', shows: 'h1' },
		{ role: 'admin', who: () => ada, path: () => '/admin', shows: 'h1' }
	];

	for (const { role, who, path, shows } of cases) {
		it(`the ${role}'s page`, async () => {
			const context = await newContext(who());
			const page = await context.newPage();
			await openPath(page, stack, path());
			await whenControlled(page);
			// Seen once under the worker's control: kept for offline use.
			await openPath(page, stack, path());
			await page.locator(shows).first().waitFor();
			const before = await page.locator('h1').first().innerText();

			await context.setOffline(true);
			await page.reload();
			await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
			expect(await page.locator('h1').first().innerText()).toBe(before);
			await page.locator(shows).first().waitFor();
			await expect.poll(() => connection(page).getAttribute('data-state')).toBe('offline');
			if (role === 'admin') {
				// today's finished orders cannot load offline: said once, with a way to retry, and
				// no count or skeleton pretending to know
				const finished = page.locator('section[aria-labelledby="finished-title"]');
				await finished.getByText('could not be updated').waitFor();
				await finished.getByRole('button', { name: 'Try again' }).waitFor();
				expect((await finished.getByRole('heading').innerText()).trim()).toBe('Finished today');
				expect(await finished.locator('[aria-busy="true"], .skeleton').count()).toBe(0);
			}
			await screenshot(page, `pwa-offline-${role.replace(/\W+/g, '-')}-phone`);
			await context.close();
		});
	}

	it('a page never opened on this device shows the offline page', async () => {
		const context = await newContext(sam);
		const page = await context.newPage();
		await openPath(page, stack, '/partner');
		await whenControlled(page);
		await context.setOffline(true);
		await page.goto(`${stack.web.url}/partner/profile`);
		await page.getByTestId('offline-fallback').waitFor();
		await page.getByRole('heading', { name: 'You’re offline' }).waitFor();
		await screenshot(page, 'pwa-offline-fallback-phone');
		await context.close();
	});
});

describe('a new version', () => {
	it('shows “new version available — Reload”, and Reload switches to it', async () => {
		// A copy of the build served by its own web app, so its sw.js can change under an open
		// page like a deploy would (inside the repo, so the server resolves node_modules).
		const dir = join('test-results', `pwa-update-${Date.now()}`);
		cpSync('build', dir, { recursive: true });
		// Only the plain sw.js is served (no precompressed copies), so one edit is the new version.
		for (const suffix of ['.br', '.gz']) rmSync(join(dir, 'client', `sw.js${suffix}`));
		const port = await freePort();
		const startCopy = () =>
			startProcess({
				command: process.execPath,
				args: [join(dir, 'index.js')],
				env: {
					HOST: '127.0.0.1',
					PORT: String(port),
					ORIGIN: `http://127.0.0.1:${port}`,
					MONGODB_URI: stack.uri,
					SYNC_SECRET: stack.secret,
					SYNC_URL: `ws://127.0.0.1:${stack.syncPort}`,
					SYNC_INTERNAL_URL: `http://127.0.0.1:${stack.syncPort}`
				},
				port,
				readyPath: '/api/health'
			});
		let web = await startCopy();
		try {
			const context = await newContext(null);
			const page = await context.newPage();
			await page.goto(`${web.url}/`);
			await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
			await whenControlled(page);
			expect(await page.getByTestId('update-prompt').count()).toBe(0);

			// A deploy: the server stops, one precache revision changes, the server starts again
			// (the static file server reads sizes and ETags at start).
			await web.stop();
			const swPath = join(dir, 'client', 'sw.js');
			const sw = readFileSync(swPath, 'utf8');
			const revision = /revision:"([0-9a-f])/.exec(sw);
			expect(revision).not.toBeNull();
			const flipped = revision![1] === '0' ? '1' : '0';
			writeFileSync(swPath, sw.replace(revision![0], `revision:"${flipped}`));
			web = await startCopy();

			await page.evaluate(async () => {
				const registration = await navigator.serviceWorker.ready;
				await registration.update();
			});
			const prompt = page.getByTestId('update-prompt');
			await prompt.getByText('A new version of Dispatch is available.').waitFor();
			await screenshot(page, 'pwa-update-prompt-phone');
			const reloaded = page.waitForEvent('load');
			await prompt.getByRole('button', { name: 'Reload' }).click();
			await reloaded;
			await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
			const state = await page.evaluate(async () => {
				const registration = await navigator.serviceWorker.ready;
				return { waiting: registration.waiting !== null, active: registration.active?.state };
			});
			expect(state).toEqual({ waiting: false, active: 'activated' });
			expect(await page.getByTestId('update-prompt').count()).toBe(0);
			await context.close();
		} finally {
			await web.stop();
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
