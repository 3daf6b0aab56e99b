import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default defineConfig(
	js.configs.recommended,
	ts.configs.recommended,
	svelte.configs.recommended,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } }
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		}
	},
	{
		rules: {
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
			]
		}
	},
	// The boundary between the processes (docs/architecture.md, "Processes"): the sync-server
	// uses the web app only through what both share (src/lib/order, src/lib/shared); its generic
	// core uses nothing of Dispatch; the shared code is plain Node (no SvelteKit, no web-only code).
	{
		files: ['sync-server/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['**/src/lib/server/**', '**/src/routes/**', '$lib/*', '$app/*', '$env/*'],
							message: 'The sync-server imports only src/lib/order and src/lib/shared.'
						}
					]
				}
			]
		}
	},
	{
		files: ['sync-server/core/**/*.ts'],
		ignores: ['sync-server/core/**/*.test.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['**/src/**', '../dispatch/**', '../persistence/**', '../*.ts'],
							message: 'The generic core knows nothing of Dispatch: it imports only itself.'
						}
					]
				}
			]
		}
	},
	{
		files: ['src/lib/shared/**/*.ts', 'src/lib/order/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['$app/*', '$env/*', '$lib/*', '**/server/**', '**/routes/**', '**/sync/**'],
							message: 'Shared code runs in both processes: plain modules, no web-app code.'
						}
					]
				}
			]
		}
	},
	{
		files: ['src/lib/order/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['$app/*', '$env/*', '$lib/*', '**/server/**', '**/shared/**', '**/sync/**'],
							message: 'The order domain is pure: no I/O, nothing but itself and its packages.'
						}
					]
				}
			]
		}
	},
	{
		ignores: [
			'build/',
			'build-sync/',
			'.svelte-kit/',
			'.local/',
			'test-results/',
			'node_modules/',
			'dev-dist/'
		]
	}
);
