// The admin board on a busy day, measured in Chromium against the built web app, the sync-server
// and FerretDB:
//
// - seeded at rest, as a day's work leaves them: `active` orders spread over the four columns
//   (order documents, index rows, and feed/admin as the projection writes it) and `finished`
//   orders delivered or cancelled today (index rows: the board pages them from the API);
// - the first sync of feed/admin: the bytes of the server's answer and the time from the socket's
//   open to the whole board, by a raw client in Node and in the admin's browser (bytes received
//   on the board's socket until it says "Live", time from open to then, and from navigation);
// - the browser's frames while `rate` orders a second change (their partners take the next step
//   from Node clients, so the board sees what a busy day sends it): every frame's length and every
//   long task (the Long Tasks API), over `seconds`.
//
// Targets (docs/partner-admin.md): first sync ≤ 1 s and ≤ 1 MB; no long task over 100 ms while
// updating. `npm run bench:board` runs the full size (2,000 active, 10,000 finished, 20/s for
// 15 s); `--smoke` a small one; tests/e2e/board-bench.test.ts runs the smoke size.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Binary } from 'mongodb';
import type { Page } from 'playwright-core';
import * as Y from 'yjs';
import {
	appendEvent,
	createEvent,
	feedDocName,
	feedEntryFor,
	feedMap,
	LIFECYCLE,
	nextStep,
	NON_FINAL_STATUSES,
	orderDocName,
	readOrder,
	writeAssignment,
	writeFeedEntry,
	writeMeta,
	writePartnerEntry,
	type Actor,
	type EventType,
	type OrderMeta,
	type OrderStatus
} from '../src/lib/order/index.ts';
import { seedCatalog } from '../src/lib/server/catalog.ts';
import { indexRowFromMeta } from '../src/lib/server/orders/create.ts';
import { connectDatabase, type DocSnapshotDoc, type OrderIndexDoc } from '../src/lib/shared/db.ts';
import { launchBrowser } from '../tests/support/browser.ts';
import { startStack, type Stack } from '../tests/support/processes.ts';
import {
	connectProvider,
	RawSyncClient,
	sessionCookie,
	testUserDoc,
	type ProviderClient
} from '../tests/support/sync-clients.ts';

export interface BoardBenchOptions {
	/** A MongoDB/FerretDB base URI (`mongodb://host:port/`); a fresh database is made in it. */
	baseUri: string;
	active: number;
	finished: number;
	/** Orders changed per second while frames are measured. */
	rate: number;
	seconds: number;
	partners: number;
	log?: (line: string) => void;
}

export interface BoardBenchResult {
	size: { active: number; finished: number; partners: number };
	firstSync: {
		/** A raw client in Node: the server's answer to a fresh client (its sync step 2). */
		node: { bytes: number; ms: number; entries: number };
		/** The admin's browser: bytes on the board's socket until it said "Live", and times. */
		browser: { bytes: number; openToLiveMs: number; navigationToLiveMs: number; cards: number };
	};
	/** The web app's answers at this size (ms): the board's page, and the API it pages from. */
	http: { boardPageMs: number; finishedPageMs: number; statsMs: number };
	updates: {
		rate: number;
		seconds: number;
		changes: number;
		/** Frame lengths (ms) while updating. */
		frames: { count: number; p50: number; p95: number; max: number };
		/** Long tasks (≥ 50 ms) while updating. */
		longTasks: { count: number; over100: number; maxMs: number };
		/** The board showed the last change. */
		caughtUp: boolean;
	};
	targets: { firstSyncMs: boolean; firstSyncBytes: boolean; noLongTaskOver100: boolean };
}

const SECRET = 'bench-board-secret-0123456789abcdef';
const CITIES = ['London', 'Leeds', 'York', 'Bath', 'Bristol', 'Oxford', 'Norwich', 'Hull'];
const DISHES = [
	{ productId: 'margherita', name: 'Margherita', unitPrice: 899 },
	{ productId: 'garlic-bread', name: 'Garlic bread', unitPrice: 449 },
	{ productId: 'lemonade', name: 'Lemonade', unitPrice: 299 },
	{ productId: 'tiramisu', name: 'Tiramisu', unitPrice: 549 }
];
/** The steps after placing, in order. */
const STEPS = LIFECYCLE.slice(1);
/** The step a partner takes next from `status` (an accepted order or later, not delivered). */
const next = (status: OrderStatus) => nextStep(status) as EventType;

const percentile = (sorted: number[], p: number) =>
	sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const round = (n: number) => Math.round(n * 10) / 10;

interface Person {
	userId: string;
	name: string;
	cookie: string;
}

function sampleMeta(i: number, customer: { userId: string; name: string }, at: Date): OrderMeta {
	const items = [DISHES[i % 4]!, DISHES[(i + 1) % 4]!].map((dish, k) => ({
		...dish,
		quantity: 1 + ((i + k) % 3)
	}));
	return {
		orderId: `bb${i.toString(36)}x`,
		items,
		total: items.reduce((sum, item) => sum + item.unitPrice * item.quantity, 0),
		address: {
			street: `${1 + (i % 200)} Station Road`,
			city: CITIES[i % CITIES.length]!,
			postcode: 'AB1 2CD',
			notes: 'Ring twice'
		},
		phone: '+441234567890',
		paymentMethod: 'cod',
		customerId: customer.userId,
		customerName: customer.name,
		createdAt: at.toISOString()
	};
}

/** Users, sessions, the catalog and the day's orders, at rest. */
export async function seed(
	options: BoardBenchOptions,
	uri: string
): Promise<{
	admin: Person;
	partners: Person[];
	changeable: Array<{ orderId: string; status: OrderStatus; partner: Person }>;
}> {
	const database = await connectDatabase(uri, { appName: 'bench-board' });
	try {
		const c = database.collections;
		await seedCatalog(c);
		const now = new Date();
		const customers = Array.from({ length: 200 }, (_, i) => ({
			userId: `bbc${i}`,
			name: `Customer ${i}`
		}));
		const partnerIds = Array.from({ length: options.partners }, (_, i) => `bbp${i}`);
		await c.users.insertMany([
			testUserDoc('bbadmin', 'admin', 'Bench Admin'),
			...partnerIds.map((id, i) => testUserDoc(id, 'partner', `Partner ${i}`)),
			...customers.map((cu) => testUserDoc(cu.userId, 'customer', cu.name))
		]);
		const cookieOf = (userId: string) => sessionCookie(c, userId);
		const admin = { userId: 'bbadmin', name: 'Bench Admin', cookie: await cookieOf('bbadmin') };
		const partners: Person[] = [];
		for (const [i, id] of partnerIds.entries()) {
			partners.push({ userId: id, name: `Partner ${i}`, cookie: await cookieOf(id) });
		}

		// active orders: a quarter per column, placed over the last two hours
		const board = new Y.Doc();
		const rows: OrderIndexDoc[] = [];
		const snapshots: DocSnapshotDoc[] = [];
		const changeable: Array<{ orderId: string; status: OrderStatus; partner: Person }> = [];
		for (let i = 0; i < options.active; i++) {
			const status = NON_FINAL_STATUSES[i % NON_FINAL_STATUSES.length]!;
			const placed = new Date(now.getTime() - ((i * 7_919) % 7_200_000));
			const meta = sampleMeta(i, customers[i % customers.length]!, placed);
			const doc = new Y.Doc();
			writeMeta(doc, meta);
			const partner = partners[i % partners.length]!;
			if (status !== 'pending') {
				writeAssignment(doc, {
					partnerId: partner.userId,
					partnerName: partner.name,
					claimedAt: placed.toISOString()
				});
				const actor: Actor = { userId: partner.userId, role: 'partner', name: partner.name };
				for (const step of STEPS.slice(0, STEPS.indexOf(status) + 1)) {
					appendEvent(doc, createEvent(actor, step as EventType, undefined, placed));
				}
				changeable.push({ orderId: meta.orderId, status, partner });
			}
			const view = readOrder(doc)!;
			writeFeedEntry(board, feedEntryFor(view, 'admin'));
			rows.push({
				...indexRowFromMeta(meta),
				partnerId: status === 'pending' ? null : partner.userId,
				partnerName: status === 'pending' ? null : partner.name,
				status,
				claimedAt: status === 'pending' ? null : placed
			});
			snapshots.push({
				_id: orderDocName(meta.orderId),
				update: new Binary(Y.encodeStateAsUpdate(doc)),
				stateVector: new Binary(Y.encodeStateVector(doc)),
				mergedSeq: 0,
				updatedAt: now
			});
			doc.destroy();
		}
		for (const partner of partners) {
			writePartnerEntry(board, {
				id: partner.userId,
				name: partner.name,
				vehicle: 'bicycle',
				available: true,
				online: false,
				lastSeen: null,
				deliveredCount: 0,
				ratingAverage: null,
				ratingCount: 0
			});
		}
		snapshots.push({
			_id: feedDocName('admin'),
			update: new Binary(Y.encodeStateAsUpdate(board)),
			stateVector: new Binary(Y.encodeStateVector(board)),
			mergedSeq: 0,
			updatedAt: now
		});

		// finished today: index rows only, spread since midnight (or the last hour, just after it)
		const midnight = new Date(now);
		midnight.setHours(0, 0, 0, 0);
		const span = Math.max(60_000, now.getTime() - midnight.getTime() - 60_000);
		for (let i = 0; i < options.finished; i++) {
			const finishedAt = new Date(now.getTime() - 60_000 - ((i * 104_729) % span));
			const placed = new Date(Math.max(midnight.getTime(), finishedAt.getTime() - 35 * 60_000));
			const meta = sampleMeta(options.active + i, customers[i % customers.length]!, placed);
			const cancelled = i % 7 === 0;
			const partner = partners[i % partners.length]!;
			rows.push({
				...indexRowFromMeta(meta),
				partnerId: cancelled ? null : partner.userId,
				partnerName: cancelled ? null : partner.name,
				status: cancelled ? 'cancelled' : 'delivered',
				updatedAt: finishedAt,
				claimedAt: cancelled ? null : placed,
				deliveredAt: cancelled ? null : finishedAt,
				cancelledAt: cancelled ? finishedAt : null
			});
		}
		for (let i = 0; i < rows.length; i += 500) await c.orders.insertMany(rows.slice(i, i + 500));
		for (let i = 0; i < snapshots.length; i += 200) {
			await c.docSnapshots.insertMany(snapshots.slice(i, i + 200));
		}
		return { admin, partners, changeable };
	} finally {
		await database.close();
	}
}

/** The stack at its production settings: the bundled sync-server when it is built. */
function startServers(uri: string): Promise<Stack> {
	return startStack({
		uri,
		secret: SECRET,
		bundle: existsSync('build-sync/main.js')
			? { nodeFlags: ['--single-threaded-gc', '--heap-growing-percent=100'] }
			: undefined,
		timeoutMs: 60_000
	});
}

/** Instruments the page: bytes per socket, the time the board went live, long tasks, frames. */
const INSTRUMENT = `(() => {
	const bench = (window.__bench = { sockets: [], longTasks: [], frames: [], liveAt: 0, recording: false });
	const Native = window.WebSocket;
	window.WebSocket = class extends Native {
		constructor(url, protocols) {
			super(url, protocols);
			const record = { url: String(url), openedAt: 0, bytes: 0, bytesAtLive: 0 };
			bench.sockets.push(record);
			this.addEventListener('open', () => (record.openedAt = performance.now()));
			this.addEventListener('message', (event) => {
				const data = event.data;
				record.bytes += data.byteLength ?? data.size ?? String(data).length;
			});
		}
	};
	new PerformanceObserver((list) => {
		for (const entry of list.getEntries()) bench.longTasks.push([entry.startTime, entry.duration]);
	}).observe({ type: 'longtask', buffered: true });
	const live = () => {
		if (bench.liveAt || !document.querySelector('.live-badge.live')) return;
		bench.liveAt = performance.now();
		for (const socket of bench.sockets) socket.bytesAtLive = socket.bytes;
	};
	new MutationObserver(live).observe(document, { subtree: true, childList: true, attributes: true });
	let last = 0;
	const frame = (now) => {
		if (bench.recording && last) bench.frames.push(now - last);
		last = now;
		requestAnimationFrame(frame);
	};
	requestAnimationFrame(frame);
})();`;

interface PageBench {
	sockets: Array<{ url: string; openedAt: number; bytes: number; bytesAtLive: number }>;
	longTasks: Array<[number, number]>;
	frames: number[];
	liveAt: number;
}

const readBench = (page: Page) =>
	page.evaluate(() => (window as unknown as { __bench: PageBench }).__bench);

export async function runBoardBench(options: BoardBenchOptions): Promise<BoardBenchResult> {
	const log = options.log ?? (() => undefined);
	const url = new URL(options.baseUri);
	url.pathname = `/bench_board_${Date.now().toString(36)}`;
	const uri = url.toString();
	log(`seeding ${options.active} active and ${options.finished} finished orders…`);
	const seeded = await seed(options, uri);
	const { web, sync, wsUrl } = await startServers(uri);
	const browser = await launchBrowser();
	const clients: ProviderClient[] = [];
	try {
		// the first sync, as a fresh client in Node sees it
		const started = performance.now();
		const raw = await RawSyncClient.open(`${wsUrl}/feed/admin`, {
			cookie: seeded.admin.cookie,
			origin: web.url
		});
		let bytes = 0;
		raw.socket.on('message', (data: Buffer) => (bytes += data.length));
		raw.requestSync();
		await raw.until((doc) => feedMap(doc).size >= options.active, 30_000);
		const node = {
			bytes,
			ms: round(performance.now() - started),
			entries: feedMap(raw.doc).size
		};
		raw.socket.close();
		log(`first sync (node): ${node.bytes} bytes, ${node.ms} ms, ${node.entries} entries`);

		// the web app's answers (each once, cold: the stats cache is empty before the first)
		const timed = async (path: string) => {
			const start = performance.now();
			const response = await fetch(web.url + path, { headers: { cookie: seeded.admin.cookie } });
			await response.arrayBuffer();
			if (!response.ok) throw new Error(`${path}: ${response.status}`);
			return round(performance.now() - start);
		};
		const midnight = new Date();
		midnight.setHours(0, 0, 0, 0);
		const from = encodeURIComponent(midnight.toISOString());
		const http = {
			boardPageMs: await timed('/admin/__data.json'),
			finishedPageMs: await timed(
				`/api/orders?status=delivered,cancelled&updatedFrom=${from}&sort=updated&limit=20`
			),
			statsMs: 0
		};
		await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the stats cache
		http.statsMs = await timed(`/api/orders/stats?from=${from}`);
		log(`http: ${JSON.stringify(http)}`);

		// the admin's browser
		const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
		await context.addCookies([
			{ name: 'dispatch_session', value: seeded.admin.cookie.split('=')[1]!, url: web.url }
		]);
		await context.addInitScript(INSTRUMENT);
		const page = await context.newPage();
		page.setDefaultTimeout(60_000);
		await page.goto(`${web.url}/admin`);
		await page.locator('.live-badge.live').waitFor();
		await page.locator('section.column article').first().waitFor();
		const atLive = await readBench(page);
		const boardSocket = atLive.sockets.find((s) => s.url.endsWith('/feed/admin'))!;
		const browserSync = {
			bytes: boardSocket.bytesAtLive,
			openToLiveMs: round(atLive.liveAt - boardSocket.openedAt),
			navigationToLiveMs: round(atLive.liveAt),
			cards: await page.locator('section.column article').count()
		};
		log(`first sync (browser): ${JSON.stringify(browserSync)}`);

		// the partners' devices, connected before the clock starts
		const changes = Math.min(seeded.changeable.length, Math.round(options.rate * options.seconds));
		const chosen = seeded.changeable.slice(0, changes);
		for (let i = 0; i < chosen.length; i += 20) {
			const batch = chosen.slice(i, i + 20).map(({ orderId, partner }) =>
				connectProvider({
					wsUrl,
					docName: orderDocName(orderId),
					cookie: partner.cookie,
					origin: web.url
				})
			);
			await Promise.all(batch.map((client) => client.synced()));
			clients.push(...batch);
		}
		await page.waitForTimeout(1_000);
		await page.evaluate(() => {
			const bench = (window as unknown as { __bench: PageBench & { recording: boolean } }).__bench;
			bench.longTasks.length = 0;
			bench.frames.length = 0;
			bench.recording = true;
		});
		const windowStart = await page.evaluate(() => performance.now());
		const gap = 1000 / options.rate;
		const t0 = performance.now();
		for (const [i, { status, partner }] of chosen.entries()) {
			const wait = t0 + i * gap - performance.now();
			if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
			appendEvent(
				clients[i]!.doc,
				createEvent({ userId: partner.userId, role: 'partner' }, next(status))
			);
		}
		const remaining = t0 + options.seconds * 1000 - performance.now();
		if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
		// the last change on the board
		const last = chosen.at(-1);
		let caughtUp = true;
		if (last) {
			const after = next(last.status);
			caughtUp = await page
				.waitForFunction(
					({ id, status }) => {
						const card = document.querySelector(`article[data-order-id="${id}"]`);
						const column = card?.closest('section.column')?.getAttribute('data-status');
						return status === 'delivered' ? true : column === status || card === null;
					},
					{ id: last.orderId, status: after },
					{ timeout: 15_000 }
				)
				.then(
					() => true,
					() => false
				);
		}
		const measured = await readBench(page);
		await page.evaluate(() => {
			(window as unknown as { __bench: { recording: boolean } }).__bench.recording = false;
		});
		const frames = [...measured.frames].sort((a, b) => a - b);
		const tasks = measured.longTasks.filter(([start]) => start >= windowStart);
		const result: BoardBenchResult = {
			size: { active: options.active, finished: options.finished, partners: options.partners },
			firstSync: { node, browser: browserSync },
			http,
			updates: {
				rate: options.rate,
				seconds: options.seconds,
				changes,
				frames: {
					count: frames.length,
					p50: round(percentile(frames, 0.5)),
					p95: round(percentile(frames, 0.95)),
					max: round(frames.at(-1) ?? 0)
				},
				longTasks: {
					count: tasks.length,
					over100: tasks.filter(([, duration]) => duration > 100).length,
					maxMs: round(Math.max(0, ...tasks.map(([, duration]) => duration)))
				},
				caughtUp
			},
			targets: {
				firstSyncMs: node.ms <= 1000 && browserSync.openToLiveMs <= 1000,
				firstSyncBytes: node.bytes <= 1_000_000 && browserSync.bytes <= 1_000_000,
				noLongTaskOver100: tasks.every(([, duration]) => duration <= 100)
			}
		};
		await context.close();
		return result;
	} finally {
		for (const client of clients) client.destroy();
		await browser.close();
		await Promise.allSettled([web.stop(), sync.stop()]);
		const cleanup = await connectDatabase(uri, { appName: 'bench-board-cleanup' }).catch(
			() => null
		);
		await cleanup?.db.dropDatabase().catch(() => undefined);
		await cleanup?.close();
	}
}

export const FULL_SIZE = { active: 2000, finished: 10_000, rate: 20, seconds: 15, partners: 60 };
export const SMOKE_SIZE = { active: 300, finished: 1000, rate: 20, seconds: 4, partners: 20 };

async function main() {
	const smoke = process.argv.includes('--smoke');
	const size = smoke ? SMOKE_SIZE : FULL_SIZE;
	const { startScratchFerret, stopAllScratchFerrets } = await import('./database.ts');
	const ferret = await startScratchFerret(null);
	try {
		const result = await runBoardBench({
			baseUri: ferret.baseUri,
			...size,
			log: (line) => console.error(line)
		});
		mkdirSync(join('test-results', 'bench'), { recursive: true });
		const file = join('test-results', 'bench', `board-${smoke ? 'smoke' : 'full'}.json`);
		writeFileSync(file, JSON.stringify(result, null, 2));
		console.log(JSON.stringify(result, null, 2));
		console.error(`written to ${file}`);
	} finally {
		stopAllScratchFerrets();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	main().catch((error: unknown) => {
		console.error(error);
		process.exit(1);
	});
}
