// The live stack for the browser tests: a fresh FerretDB database
// with the demo catalog, the real sync-server (from source) and the real built web app, wired to
// each other (the web app's SYNC_URL points at the sync-server, whose ALLOWED_ORIGINS is the web
// app). Plus people with sessions, browser pages signed in as them, a JSON API client per person
// and y-websocket clients in Node for writes a test makes "from another device".
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_MENU } from '../../src/lib/catalog/demo-menu.ts';
import type { Role } from '../../src/lib/order/index.ts';
import { seedCatalog } from '../../src/lib/server/catalog.ts';
import type { Database } from '../../src/lib/shared/db.ts';
import { VIEWPORTS } from './browser.ts';
import { openTestDatabase } from './database.ts';
import { startStack, type RunningProcess } from './processes.ts';
import {
	connectProvider,
	createTestUser,
	type ProviderClient,
	type TestUser
} from './sync-clients.ts';

/** The live stack's SYNC_SECRET (tests write server-authored documents with it). */
export const SECRET = 'e2e-sync-secret-0123456789abcdef';

export interface LiveStack {
	database: Database;
	web: RunningProcess;
	sync: RunningProcess;
	wsUrl: string;
	stop(): Promise<void>;
}

export async function startLiveStack(label: string): Promise<LiveStack> {
	const { uri, database } = await openTestDatabase(label);
	await seedCatalog(database.collections);
	const { web, sync, wsUrl } = await startStack({
		uri,
		secret: SECRET,
		syncEnv: { SYNC_PERSIST_DELAY_MS: '10', SYNC_REVOCATION_INTERVAL_MS: '1000' }
	});
	return {
		database,
		web,
		sync,
		wsUrl,
		async stop() {
			await Promise.allSettled([web.stop(), sync.stop()]);
			await database.db.dropDatabase().catch(() => undefined);
			await database.close();
		}
	};
}

export interface Person extends TestUser {
	token: string;
	/** A JSON request as this person (session cookie attached). */
	api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function person(stack: LiveStack, role: Role, name: string): Promise<Person> {
	const user = await createTestUser(stack.database.collections, role, name);
	const token = user.cookie.slice(user.cookie.indexOf('=') + 1);
	return {
		...user,
		token,
		async api(method, path, body) {
			const res = await fetch(stack.web.url + path, {
				method,
				headers: {
					cookie: user.cookie,
					...(body === undefined ? {} : { 'content-type': 'application/json' })
				},
				body: body === undefined ? undefined : JSON.stringify(body),
				signal: AbortSignal.timeout(20_000)
			});
			const text = await res.text();
			return { status: res.status, json: text ? JSON.parse(text) : undefined };
		}
	};
}

const FOR_SALE = DEMO_MENU.filter((product) => product.available);

/** Places an order through the JSON API as `customer`; returns its id. */
export async function placeOrder(
	customer: Person,
	options: { city?: string; items?: Array<{ productId: string; quantity: number }> } = {}
): Promise<string> {
	const reply = await customer.api('POST', '/api/orders', {
		items: options.items ?? [
			{ productId: FOR_SALE[0]!.id, quantity: 2 },
			{ productId: FOR_SALE[1]!.id, quantity: 1 }
		],
		address: {
			street: '12 Baker Street',
			city: options.city ?? 'London',
			postcode: 'NW1 6XE',
			notes: 'Ring twice'
		},
		phone: '+44 20 7946 0000',
		paymentMethod: 'cod'
	});
	if (reply.status !== 201)
		throw new Error(`order not placed: ${reply.status} ${JSON.stringify(reply.json)}`);
	return reply.json.id as string;
}

/** A browser context signed in as `who` (cookie set directly), and a page in it. */
export async function signedInPage(
	browser: Browser,
	stack: LiveStack,
	who: Person,
	viewport: { width: number; height: number } = VIEWPORTS.desktop,
	options: { javaScriptEnabled?: boolean } = {}
): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({
		viewport,
		reducedMotion: 'reduce',
		serviceWorkers: 'block',
		javaScriptEnabled: options.javaScriptEnabled ?? true
	});
	await context.addCookies([{ name: 'dispatch_session', value: who.token, url: stack.web.url }]);
	const page = await context.newPage();
	page.setDefaultTimeout(15_000);
	return { context, page };
}

/** Opens a path and waits for hydration (the root layout marks <html data-hydrated>). */
export async function open(page: Page, stack: LiveStack, path: string): Promise<void> {
	await page.goto(stack.web.url + path);
	await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
}

/** A y-websocket client in Node as `who` (from "another device"), synced before it returns. */
export async function nodeClient(
	stack: LiveStack,
	who: Person,
	docName: string
): Promise<ProviderClient> {
	const client = connectProvider({
		wsUrl: stack.wsUrl,
		docName,
		cookie: who.cookie,
		origin: stack.web.url
	});
	await client.synced();
	return client;
}

export { until } from './sync-clients.ts';

/** Polls `read` until it returns a value `accept` takes (bounded). */
export async function eventually<T>(
	read: () => Promise<T>,
	accept: (value: T) => boolean,
	what: string,
	timeoutMs = 10_000
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: T = await read();
	while (!accept(last)) {
		if (Date.now() > deadline)
			throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
		await new Promise((r) => setTimeout(r, 100));
		last = await read();
	}
	return last;
}

/** The short reference the apps show for an order. */
export const ref = (orderId: string) => `#${orderId.slice(0, 6).toUpperCase()}`;

/**
 * How far apart (px) the header's logo and its tools (connection state, cart, account, log out)
 * sit vertically: about 0 while they share a row, a row's height once the tools wrap under it.
 */
export function headerRowGap(page: Page): Promise<number> {
	return page.evaluate(() => {
		const middle = (selector: string) => {
			const box = document.querySelector(`.site-header ${selector}`)!.getBoundingClientRect();
			return box.top + box.height / 2;
		};
		return Math.abs(middle('.tools') - middle('.brand'));
	});
}

/**
 * How far (px) the page's content starts from where the header's does, left and right: 0 when
 * they line up. Null for pages whose content is deliberately narrow and centred (`.narrow`: the
 * sign-in forms).
 */
export function contentOffsetFromHeader(
	page: Page
): Promise<{ left: number; right: number } | null> {
	return page.evaluate(() => {
		const content = document.querySelector('#main > .container, #main > * > .container');
		if (!content || content.classList.contains('narrow')) return null;
		const bar = document.querySelector('.site-header .bar')!.getBoundingClientRect();
		const box = content.getBoundingClientRect();
		return { left: Math.abs(box.left - bar.left), right: Math.abs(box.right - bar.right) };
	});
}

/**
 * The facts of every "·"-separated row (app.css `.dot-row`) whose separator shows at the start of
 * a line or is drawn outside its row: none on a good page.
 */
export function misplacedSeparators(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const misplaced: string[] = [];
		for (const row of document.querySelectorAll('.dot-row')) {
			const edge = row.getBoundingClientRect().left;
			for (const item of row.querySelectorAll(':scope > .dots > *')) {
				const box = item.getBoundingClientRect();
				if (box.width === 0) continue;
				const dot = parseFloat(getComputedStyle(item, '::before').width);
				// an item's "·" is visible only if it lies right of the row's (clipping) edge
				const startsLine = box.left < edge + 1;
				const dotShown = box.left + dot > edge + 1;
				if ((startsLine && dotShown) || box.left + dot < edge - 1) {
					misplaced.push(item.textContent!.trim());
				}
			}
		}
		return misplaced;
	});
}

/** No sideways scrolling at this width. */
export function horizontalOverflow(page: Page): Promise<number> {
	return page.evaluate(
		() => document.documentElement.scrollWidth - document.documentElement.clientWidth
	);
}
