import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vitest/config';
import { generateServiceWorkerBeforeAdapter, pwaOptions } from './src/lib/pwa/options.ts';

export default defineConfig({
	plugins: [sveltekit(), generateServiceWorkerBeforeAdapter(SvelteKitPWA(pwaOptions))],
	test: {
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					environment: 'node',
					include: ['src/**/*.test.ts', 'sync-server/**/*.test.ts']
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					environment: 'node',
					include: ['tests/integration/**/*.test.ts'],
					globalSetup: ['tests/support/global-setup.ts'],
					testTimeout: 60_000,
					hookTimeout: 60_000,
					maxWorkers: 2
				}
			},
			{
				extends: true,
				test: {
					name: 'e2e',
					environment: 'node',
					include: ['tests/e2e/**/*.test.ts'],
					globalSetup: ['tests/support/global-setup.ts'],
					testTimeout: 120_000,
					hookTimeout: 120_000,
					maxWorkers: 1
				}
			}
		]
	}
});
