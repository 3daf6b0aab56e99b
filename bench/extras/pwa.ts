// The PWA side, in headless Chromium against the built web app (a copy of build/ taken under the
// build lock, so a concurrent build cannot change it mid-measurement):
// - JS the shop's first load transfers (as served to Chromium, and as gzip to a gzip-only client);
// - the partner page's reload time with the network off, once its service worker is in control.
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Response } from 'playwright-core';
import { createSession, SESSION_COOKIE } from '../../src/lib/shared/session.ts';
import { seedCatalog } from '../../src/lib/server/catalog.ts';
import type { Collections } from '../../src/lib/shared/db.ts';
import { launchBrowser } from '../../tests/support/browser.ts';
import { spawnChild, waitForHttp, type Child } from '../processes.ts';
import { BENCH_DIR, BENCH_SECRET } from '../servers.ts';

const BUILD_LOCK = '/tmp/dispatch-build.lock';
const WEB_COPY = join(BENCH_DIR, 'web-build');
const run = promisify(execFile);

interface ScriptTransfer {
	url: string;
	/** Body bytes as transferred to Chromium (its Accept-Encoding: br, gzip, …). */
	bytes: number;
	encoding: string;
	/** Body bytes when the client accepts only gzip. */
	gzipBytes: number;
}

export interface PwaResult {
	shop:
		| {
				ok: true;
				scripts: ScriptTransfer[];
				transferredBytes: number;
				gzipBytes: number;
				swScripts: number;
				swBytes: number;
		  }
		| { ok: false; reason: string };
	partnerOfflineReload:
		| { ok: true; ms: number; navigationMs: number | null; title: string }
		| { ok: false; reason: string };
}

/**
 * Copies build/ under the build lock, shared: copying only reads, and a test run that holds the
 * lock shared for its whole duration (so no build replaces build/ under it) must not block us.
 * Gives up after `waitSeconds` if a build holds it. `dir` is removed by `discardBuild`.
 */
export async function snapshotBuild(
	waitSeconds = 60
): Promise<{ dir: string } | { reason: string }> {
	const dir = `${WEB_COPY}-${process.pid}`;
	rmSync(dir, { recursive: true, force: true });
	try {
		await run(
			'flock',
			[
				'-s',
				'-w',
				String(waitSeconds),
				BUILD_LOCK,
				'sh',
				'-c',
				'if [ -f build/index.js ]; then cp -a build "$1"; fi',
				'sh',
				dir
			],
			{ timeout: (waitSeconds + 120) * 1000 }
		);
	} catch (error) {
		rmSync(dir, { recursive: true, force: true });
		return {
			reason: `could not copy build/ (build lock busy for ${waitSeconds} s?): ${(error as Error).message.split('\n')[0]}`
		};
	}
	if (!existsSync(join(dir, 'index.js'))) {
		rmSync(dir, { recursive: true, force: true });
		return { reason: 'no web build: run `flock /tmp/dispatch-build.lock npm run build` first' };
	}
	return { dir };
}

export function discardBuild(dir: string): void {
	rmSync(dir, { recursive: true, force: true });
}

export async function startWebApp(options: {
	dir: string;
	port: number;
	mongoUri: string;
	syncPort: number;
	core: number | null;
}): Promise<Child> {
	const origin = `http://127.0.0.1:${options.port}`;
	const child = spawnChild({
		name: 'web',
		command: process.execPath,
		args: [join(options.dir, 'index.js')],
		core: options.core,
		env: {
			NODE_ENV: 'production',
			HOST: '127.0.0.1',
			PORT: String(options.port),
			ORIGIN: origin,
			MONGODB_URI: options.mongoUri,
			SYNC_URL: `ws://127.0.0.1:${options.syncPort}`,
			SYNC_INTERNAL_URL: `http://127.0.0.1:${options.syncPort}`,
			SYNC_SECRET: BENCH_SECRET,
			LOG_LEVEL: 'warn'
		}
	});
	try {
		await waitForHttp(`${origin}/api/health`, child);
	} catch (error) {
		await child.stop(2_000);
		throw error;
	}
	return child;
}

/** The body size of `url` for a client that accepts only gzip (the raw bytes on the wire). */
function gzipSize(url: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = get(url, { headers: { 'accept-encoding': 'gzip' }, timeout: 10_000 }, (res) => {
			let bytes = 0;
			res.on('data', (chunk: Buffer) => (bytes += chunk.length));
			res.on('end', () => resolve(bytes));
			res.on('error', reject);
		});
		req.on('error', reject);
		req.on('timeout', () => req.destroy(new Error(`timeout fetching ${url}`)));
	});
}

function isScript(response: Response): boolean {
	const type = response.request().resourceType();
	const contentType = response.headers()['content-type'] ?? '';
	return type === 'script' || /javascript/.test(contentType);
}

async function measureShop(browser: Browser, webUrl: string): Promise<PwaResult['shop']> {
	const context = await browser.newContext();
	try {
		const page = await context.newPage();
		const pageScripts: Response[] = [];
		const swScripts: Response[] = [];
		context.on('response', (response) => {
			if (!isScript(response)) return;
			if (response.request().serviceWorker()) swScripts.push(response);
			else pageScripts.push(response);
		});
		const response = await page.goto(`${webUrl}/`, { waitUntil: 'load', timeout: 30_000 });
		if (!response || response.status() >= 400) {
			return { ok: false, reason: `GET / answered ${response?.status() ?? 'nothing'}` };
		}
		await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => undefined);
		const scripts: ScriptTransfer[] = [];
		for (const script of pageScripts) {
			const sizes = await script.request().sizes();
			scripts.push({
				url: script.url().replace(webUrl, ''),
				bytes: sizes.responseBodySize,
				encoding: script.headers()['content-encoding'] ?? 'identity',
				gzipBytes: await gzipSize(script.url())
			});
		}
		let swBytes = 0;
		for (const script of swScripts) swBytes += (await script.request().sizes()).responseBodySize;
		return {
			ok: true,
			scripts,
			transferredBytes: scripts.reduce((n, s) => n + s.bytes, 0),
			gzipBytes: scripts.reduce((n, s) => n + s.gzipBytes, 0),
			swScripts: swScripts.length,
			swBytes
		};
	} finally {
		await context.close();
	}
}

async function measurePartnerOfflineReload(
	browser: Browser,
	webUrl: string,
	cookie: { name: string; value: string }
): Promise<PwaResult['partnerOfflineReload']> {
	const context = await browser.newContext();
	try {
		await context.addCookies([{ ...cookie, url: webUrl }]);
		const page = await context.newPage();
		const first = await page.goto(`${webUrl}/partner`, { waitUntil: 'load', timeout: 30_000 });
		const status = first?.status() ?? 0;
		if (status === 404) return { ok: false, reason: 'n/a: this build has no /partner page' };
		if (status >= 400 || !page.url().includes('/partner')) {
			return { ok: false, reason: `n/a: /partner answered ${status} (at ${page.url()})` };
		}
		const registered = await page
			.evaluate(async () => {
				if (!('serviceWorker' in navigator)) return 'no service worker support';
				const registration = await Promise.race([
					navigator.serviceWorker.ready,
					new Promise<null>((resolve) => setTimeout(() => resolve(null), 5_000))
				]);
				return registration ? 'ready' : 'no service worker registered within 5 s';
			})
			.catch((error: unknown) => String(error));
		if (registered !== 'ready') return { ok: false, reason: `fails offline: ${registered}` };
		// reload once online so the page is controlled by the worker, then cut the network
		await page.reload({ waitUntil: 'load' });
		const controlled = await page.evaluate(() => navigator.serviceWorker.controller !== null);
		if (!controlled)
			return { ok: false, reason: 'fails offline: the service worker does not control the page' };
		await context.setOffline(true);
		const started = performance.now();
		try {
			await page.reload({ waitUntil: 'load', timeout: 15_000 });
		} catch (error) {
			return { ok: false, reason: `fails offline: ${(error as Error).message.split('\n')[0]}` };
		}
		const ms = performance.now() - started;
		if (page.url().startsWith('chrome-error:'))
			return { ok: false, reason: 'fails offline: browser error page' };
		const navigationMs = await page.evaluate(() => {
			const entry = performance.getEntriesByType('navigation')[0] as
				PerformanceNavigationTiming | undefined;
			return entry ? entry.loadEventEnd - entry.startTime : null;
		});
		return { ok: true, ms, navigationMs, title: await page.title() };
	} finally {
		await context.close();
	}
}

export async function measurePwa(options: {
	collections: Collections;
	webUrl: string;
	partnerId: string;
}): Promise<PwaResult> {
	await seedCatalog(options.collections);
	const { token } = await createSession(options.collections, options.partnerId);
	let browser: Browser | null = null;
	try {
		browser = await launchBrowser();
		const shop = await measureShop(browser, options.webUrl).catch(
			(error: unknown): PwaResult['shop'] => ({ ok: false, reason: String(error) })
		);
		const partnerOfflineReload = await measurePartnerOfflineReload(browser, options.webUrl, {
			name: SESSION_COOKIE,
			value: token
		}).catch((error: unknown): PwaResult['partnerOfflineReload'] => ({
			ok: false,
			reason: String(error)
		}));
		return { shop, partnerOfflineReload };
	} finally {
		await browser?.close();
	}
}
