// Headless Debian Chromium driven by playwright-core (no downloaded browser builds here).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { beforeEach } from 'vitest';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS_DIR = 'test-results/screenshots';

export function launchBrowser(): Promise<Browser> {
	return chromium.launch({
		executablePath: CHROMIUM_PATH,
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync'
		]
	});
}

export const VIEWPORTS = {
	phone: { width: 360, height: 740 },
	desktop: { width: 1280, height: 860 }
} as const;

/** Saves a full-page screenshot under test-results/screenshots/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
	mkdirSync(ARTIFACTS_DIR, { recursive: true });
	const path = join(ARTIFACTS_DIR, `${name}.png`);
	await page.screenshot({ path, fullPage: true });
	return path;
}

/**
 * When a test of this file fails: for each page, its address, what its `main` shows and its
 * connection state go to the test's output (a CI log keeps them), and a screenshot to
 * test-results/screenshots/failed-<test>-<page>.png.
 */
export function describePagesOnFailure(pages: () => Record<string, Page | undefined>): void {
	beforeEach((context) => {
		context.onTestFailed(async () => {
			const test = context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
			for (const [name, page] of Object.entries(pages())) {
				if (!page || page.isClosed()) continue;
				const main = await page
					.locator('main')
					.innerText({ timeout: 2_000 })
					.catch((error: Error) => `(no main: ${error.message.split('\n')[0]})`);
				const connection = await page
					.getByTestId('connection-status')
					.first()
					.evaluate(
						(el) => `${el.getAttribute('data-state')}, ${el.getAttribute('data-pending')} unsent`
					)
					.catch(() => 'no connection badge');
				console.error(
					`[${name}] ${page.url()} (${connection})\n${main.replace(/\s+/g, ' ').slice(0, 600)}`
				);
				await screenshot(page, `failed-${test}-${name}`).catch(() => undefined);
			}
		});
	});
}
