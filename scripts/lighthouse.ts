// Lighthouse (mobile, the default simulated throttling) on the built app: the shop, the
// customer's order page, the partner's order page and the admin board, each as its signed-in
// person, against Debian's Chromium. `npm run lighthouse` (after `npm run build`): starts a scratch
// FerretDB, the sync-server and the web app on 127.0.0.1, places and claims orders through the
// real API, runs Lighthouse three times on each page (LIGHTHOUSE_RUNS), prints the median run's
// scores as a table and writes its reports to test-results/lighthouse/. Targets (docs/web-quality.md): accessibility 100, best practices 100,
// performance ≥ 95, CLS ≤ 0.05. Exits 1 when a page misses one (LIGHTHOUSE_NO_FAIL=1: 0).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';
import { startScratchFerret, stopAllScratchFerrets } from '../bench/database.ts';
import { DEMO_MENU } from '../src/lib/catalog/demo-menu.ts';
import type { Role } from '../src/lib/order/index.ts';
import { SESSION_COOKIE } from '../src/lib/shared/session.ts';
import { seedCatalog } from '../src/lib/server/catalog.ts';
import { connectDatabase } from '../src/lib/shared/db.ts';
import { CHROMIUM_PATH } from '../tests/support/browser.ts';
import { startStack, type RunningProcess, type Stack } from '../tests/support/processes.ts';
import { createTestUser } from '../tests/support/sync-clients.ts';

const SECRET = 'lighthouse-sync-secret-0123456789abcdef';
const OUT = join('test-results', 'lighthouse');
const FLAGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync'
];
const TARGETS = { accessibility: 1, 'best-practices': 1, performance: 0.95, cls: 0.05 };
/** Runs per page (LIGHTHOUSE_RUNS); the median one is reported. */
const RUNS = Math.max(1, Number(process.env.LIGHTHOUSE_RUNS ?? 3) || 3);

interface Person {
	userId: string;
	token: string;
	cookie: string;
}

/** The stack as built (`npm run build`), as it runs in production. */
function startServers(uri: string): Promise<Stack> {
	return startStack({ uri, secret: SECRET, bundle: { nodeFlags: [] }, timeoutMs: 60_000 });
}

async function api(web: RunningProcess, who: Person, method: string, path: string, body?: unknown) {
	const response = await fetch(web.url + path, {
		method,
		headers: {
			cookie: who.cookie,
			...(body === undefined ? {} : { 'content-type': 'application/json' })
		},
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	const json = (await response.json()) as Record<string, unknown>;
	if (!response.ok)
		throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
	return json;
}

interface PageResult {
	name: string;
	path: string;
	performance: number;
	accessibility: number;
	bestPractices: number;
	cls: number;
	lcpMs: number;
	tbtMs: number;
	failing: string[];
}

async function main() {
	mkdirSync(OUT, { recursive: true });
	const ferret = await startScratchFerret(null);
	let servers: Stack | null = null;
	let chrome: chromeLauncher.LaunchedChrome | null = null;
	try {
		const uri = `${ferret.baseUri}lighthouse`;
		const database = await connectDatabase(uri, { appName: 'lighthouse' });
		await seedCatalog(database.collections);
		const person = async (userId: string, name: string, role: Role): Promise<Person> => {
			const { cookie } = await createTestUser(database.collections, role, name, userId);
			return { userId, token: cookie.slice(cookie.indexOf('=') + 1), cookie };
		};
		const customer = await person('lhcustomer', 'Casey Customer', 'customer');
		const partner = await person('lhpartner', 'Sam Rider', 'partner');
		const admin = await person('lhadmin', 'Ada Admin', 'admin');
		await database.close();

		servers = await startServers(uri);
		const { web } = servers;
		const dishes = DEMO_MENU.filter((p) => p.available);
		const order = (city: string, i: number) => ({
			items: [
				{ productId: dishes[i % dishes.length]!.id, quantity: 2 },
				{ productId: dishes[(i + 3) % dishes.length]!.id, quantity: 1 }
			],
			address: { street: `${12 + i} Baker Street`, city, postcode: 'NW1 6XE', notes: 'Ring twice' },
			phone: '+44 20 7946 0000',
			paymentMethod: 'cod'
		});
		// a few orders for the board, one the partner has claimed and moved on, one pending
		const cities = ['London', 'Leeds', 'York', 'Bath', 'Bristol', 'Oxford'];
		const ids: string[] = [];
		for (const [i, city] of cities.entries()) {
			ids.push((await api(web, customer, 'POST', '/api/orders', order(city, i))).id as string);
		}
		await api(web, partner, 'POST', `/api/orders/${ids[0]}/claim`);
		await api(web, partner, 'POST', `/api/orders/${ids[1]}/claim`);
		const pending = ids.at(-1)!;

		chrome = await chromeLauncher.launch({ chromePath: CHROMIUM_PATH, chromeFlags: FLAGS });
		const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
		const setCookie = async (who: Person) => {
			const page = (await browser.pages())[0] ?? (await browser.newPage());
			const session = await page.createCDPSession();
			await session.send('Network.setCookie', {
				name: SESSION_COOKIE,
				value: who.token,
				url: web.url,
				httpOnly: true,
				sameSite: 'Lax'
			});
			await session.detach();
		};

		const pages: Array<{ name: string; path: string; who: Person }> = [
			{ name: 'Shop', path: '/', who: customer },
			{ name: 'Order page (customer)', path: `/orders/${pending}`, who: customer },
			{ name: 'Order page (partner)', path: `/partner/orders/${ids[0]}`, who: partner },
			{ name: 'Board (admin)', path: '/admin', who: admin }
		];
		const results: PageResult[] = [];
		// LIGHTHOUSE_PAGES=board,shop runs only the pages whose names contain one of these
		const only = (process.env.LIGHTHOUSE_PAGES ?? '').toLowerCase().split(',').filter(Boolean);
		for (const { name, path, who } of pages) {
			if (only.length > 0 && !only.some((word) => name.toLowerCase().includes(word))) continue;
			await setCookie(who);
			// several runs, the median by performance score (Lighthouse's own advice: one run on a
			// busy machine is noise)
			const runs = [];
			for (let run = 0; run < RUNS; run++) {
				const result = await lighthouse(web.url + path, {
					port: chrome.port,
					output: 'html',
					logLevel: 'error',
					onlyCategories: ['performance', 'accessibility', 'best-practices'],
					formFactor: 'mobile'
				});
				if (!result) throw new Error(`no result for ${path}`);
				runs.push(result);
			}
			runs.sort(
				(a, b) =>
					(a.lhr.categories.performance?.score ?? 0) - (b.lhr.categories.performance?.score ?? 0)
			);
			const runner = runs[Math.floor(runs.length / 2)]!;
			const { lhr } = runner;
			const file = name
				.toLowerCase()
				.replace(/[^a-z]+/g, '-')
				.replace(/-$/, '');
			writeFileSync(join(OUT, `${file}.html`), runner.report as string);
			writeFileSync(join(OUT, `${file}.json`), JSON.stringify(lhr, null, 1));
			const score = (id: string) => lhr.categories[id]?.score ?? 0;
			const numeric = (id: string) => lhr.audits[id]?.numericValue ?? NaN;
			const failing = Object.values(lhr.audits)
				.filter(
					(audit) =>
						audit.score !== null &&
						audit.score < 1 &&
						audit.scoreDisplayMode !== 'informative' &&
						audit.scoreDisplayMode !== 'manual' &&
						audit.scoreDisplayMode !== 'notApplicable'
				)
				.map((audit) => `${audit.id} (${audit.score})`);
			results.push({
				name,
				path,
				performance: score('performance'),
				accessibility: score('accessibility'),
				bestPractices: score('best-practices'),
				cls: numeric('cumulative-layout-shift'),
				lcpMs: numeric('largest-contentful-paint'),
				tbtMs: numeric('total-blocking-time'),
				failing
			});
		}
		await browser.disconnect();

		const pct = (n: number) => String(Math.round(n * 100));
		const lines = [
			'| Page | Performance | Accessibility | Best practices | CLS | LCP | TBT |',
			'| ---- | ----------- | ------------- | -------------- | --- | --- | --- |',
			...results.map(
				(r) =>
					`| ${r.name} | ${pct(r.performance)} | ${pct(r.accessibility)} | ${pct(r.bestPractices)} | ${r.cls.toFixed(3)} | ${(r.lcpMs / 1000).toFixed(1)} s | ${Math.round(r.tbtMs)} ms |`
			)
		];
		console.log(lines.join('\n'));
		for (const r of results) {
			if (r.failing.length > 0) console.log(`\n${r.name}: below 1: ${r.failing.join(', ')}`);
		}
		writeFileSync(join(OUT, 'summary.json'), JSON.stringify(results, null, 2));
		const missed = results.filter(
			(r) =>
				r.accessibility < TARGETS.accessibility ||
				r.bestPractices < TARGETS['best-practices'] ||
				r.performance < TARGETS.performance ||
				r.cls > TARGETS.cls
		);
		if (missed.length > 0) {
			console.error(`\nmissed the targets: ${missed.map((r) => r.name).join(', ')}`);
			if (!process.env.LIGHTHOUSE_NO_FAIL) process.exitCode = 1;
		}
	} finally {
		chrome?.kill();
		if (servers) await Promise.allSettled([servers.web.stop(), servers.sync.stop()]);
		stopAllScratchFerrets();
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
	stopAllScratchFerrets();
});
