import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: { runes: true },
	kit: {
		adapter: adapter({ out: 'build' }),
		// SvelteKit's origin check only covers form content types; `handle` in hooks.server.ts checks
		// every state-changing request instead (src/lib/server/origin.ts), so this one is off ('*').
		csrf: { trustedOrigins: ['*'] },
		// Each page's CSS is a handful of small files (one per component): inlined in the page, so
		// the first paint does not wait for their requests (Lighthouse, docs/web-quality.md).
		inlineStyleThreshold: 8192
	}
};

export default config;
