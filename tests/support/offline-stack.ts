// The live stack for the offline browser tests: like live-stack.ts (fresh FerretDB database
// with the demo catalog, the real sync-server, the real built web app), except that browsers reach
// the sync-server through a loopback TCP proxy the test can cut and restore. That is the faithful
// connectivity loss: Chromium's `context.setOffline(true)` fails new requests but does not close a
// WebSocket that is already open (measured in offline-partner.test.ts), so the tests cut both —
// the proxy for the socket, `setOffline` for HTTP (the service worker then answers from its cache).
// Node clients (other devices) connect to the sync-server directly and are not cut.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seedCatalog } from '../../src/lib/server/catalog.ts';
import { VIEWPORTS } from './browser.ts';
import { openTestDatabase } from './database.ts';
import { freePort } from './ports.ts';
import { startStack, type Stack } from './processes.ts';
import { startTcpProxy, type TcpProxy } from './sync-clients.ts';
import type { LiveStack, Person } from './live-stack.ts';

const SECRET = 'e2e-offline-secret-0123456789abcdef';

export interface OfflineStack extends LiveStack {
	/** Between browsers and the sync-server. */
	proxy: TcpProxy;
	/** The database, for a second web app on the same data. */
	uri: string;
	syncPort: number;
	secret: string;
}

export async function startOfflineStack(label: string): Promise<OfflineStack> {
	const { uri, database } = await openTestDatabase(label);
	await seedCatalog(database.collections);
	// browsers reach the sync-server through a proxy the tests can cut
	const syncPort = await freePort();
	const proxy = await startTcpProxy({ host: '127.0.0.1', port: syncPort });
	let stack: Stack;
	try {
		stack = await startStack({
			uri,
			secret: SECRET,
			syncEnv: { SYNC_PERSIST_DELAY_MS: '10', SYNC_REVOCATION_INTERVAL_MS: '1000' },
			syncPort,
			browserSyncUrl: `ws://127.0.0.1:${proxy.port}`
		});
	} catch (error) {
		await proxy.close();
		throw error;
	}
	const { web, sync, wsUrl } = stack;
	return {
		database,
		web,
		sync,
		proxy,
		uri,
		syncPort,
		secret: SECRET,
		wsUrl,
		async stop() {
			await proxy.close();
			await Promise.allSettled([web.stop(), sync.stop()]);
			await database.db.dropDatabase().catch(() => undefined);
			await database.close();
		}
	};
}

/** A browser context with service workers allowed (live-stack.s block them), signed in. */
export async function pwaContext(
	browser: Browser,
	stack: LiveStack,
	who: Person | null,
	viewport: { width: number; height: number } = VIEWPORTS.phone
): Promise<BrowserContext> {
	const context = await browser.newContext({
		viewport,
		reducedMotion: 'reduce',
		serviceWorkers: 'allow'
	});
	context.setDefaultTimeout(15_000);
	if (who) {
		await context.addCookies([{ name: 'dispatch_session', value: who.token, url: stack.web.url }]);
	}
	return context;
}

/**
 * Opens `path` and waits for hydration. The first page of a fresh context also installs the
 * service worker, which precaches every script beside it: on this 2-core machine that once took
 * longer than the context's 15 s default, so hydration gets 30 s.
 */
export async function openPath(page: Page, stack: LiveStack, path: string): Promise<void> {
	await page.goto(stack.web.url + path);
	await page.locator('html[data-hydrated]').waitFor({ state: 'attached', timeout: 30_000 });
}

/** Waits until the service worker is active and controls this page. */
export async function whenControlled(page: Page): Promise<void> {
	await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
		timeout: 20_000
	});
}

/** Cuts this browser off: the socket (proxy) and HTTP (`setOffline`). */
export async function goOffline(stack: OfflineStack, context: BrowserContext): Promise<void> {
	stack.proxy.cut();
	await context.setOffline(true);
}

export async function goOnline(stack: OfflineStack, context: BrowserContext): Promise<void> {
	stack.proxy.restore();
	await context.setOffline(false);
}

/** The header's connection indicator. */
export function connection(page: Page) {
	return page.getByTestId('connection-status');
}

/** The IndexedDB databases of this origin. */
export function localDatabases(page: Page): Promise<string[]> {
	return page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name ?? '').sort());
}

/**
 * Points this context's documents straight at the sync-server instead of the proxy, so cutting
 * the proxy cuts only the browser under test (the observers' `GET /api/config` is answered here).
 */
export async function syncDirectly(context: BrowserContext, stack: LiveStack): Promise<void> {
	await context.route('**/api/config', (route) =>
		route.fulfill({ json: { syncUrl: stack.wsUrl } })
	);
}
