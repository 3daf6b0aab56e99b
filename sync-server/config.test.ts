import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/lib/shared/env.ts';
import { loadSyncConfig } from './config.ts';

describe('loadSyncConfig', () => {
	it('has local defaults that need no variables', () => {
		const config = loadSyncConfig({});
		expect(config.port).toBe(3001);
		expect(config.host).toBe('127.0.0.1');
		expect(config.allowedOrigins).toEqual(['http://localhost:3000', 'http://127.0.0.1:3000']);
		expect(config.limits.maxMessageBytes).toBe(1024 * 1024);
		expect(config.quotas.rooms).toEqual({ customer: 20, partner: 50, admin: 2000 });
		expect(config.persistence.persistDelayMs).toBe(0); // group commit, no fixed wait
	});

	it('adds ORIGIN to the allowed origins', () => {
		const config = loadSyncConfig({
			ALLOWED_ORIGINS: 'https://a.example',
			ORIGIN: 'https://b.example/'
		});
		expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
	});

	it('takes REDIS_URL as a redis URL: several processes then share the documents', () => {
		expect(loadSyncConfig({}).redis).toBeNull();
		expect(loadSyncConfig({ REDIS_URL: 'redis://cache:6379' }).redis?.url).toBe(
			'redis://cache:6379'
		);
		expect(() => loadSyncConfig({ REDIS_URL: 'cache:6379' })).toThrow(/REDIS_URL/);
	});

	it('keeps sessions longer than order facts, and bounds both', () => {
		const config = loadSyncConfig({});
		expect(config.sessionCache.ttlMs).toBe(30_000);
		expect(config.orderFactsCache.ttlMs).toBe(2_000);
		const set = loadSyncConfig({ SYNC_SESSION_CACHE_MS: '0', SYNC_AUTH_CACHE_MS: '500' });
		expect([set.sessionCache.ttlMs, set.orderFactsCache.ttlMs]).toEqual([0, 500]);
		expect(() => loadSyncConfig({ SYNC_SESSION_CACHE_MS: '600001' })).toThrow(
			/SYNC_SESSION_CACHE_MS: must be at most 600000/
		);
		expect(() => loadSyncConfig({ SYNC_AUTH_CACHE_MS: '10001' })).toThrow(/SYNC_AUTH_CACHE_MS/);
	});

	it('names every bad variable', () => {
		let error: unknown;
		try {
			loadSyncConfig({
				SYNC_PORT: 'abc',
				MONGODB_URI: 'postgres://x',
				ALLOWED_ORIGINS: 'nope',
				SYNC_ROOMS_ADMIN: '-1',
				SYNC_PERSIST_DELAY_MS: '60000'
			});
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(ConfigError);
		const fields = (error as ConfigError).problems.map((p) => p.split(':')[0]);
		expect(fields).toEqual(
			expect.arrayContaining([
				'SYNC_PORT',
				'MONGODB_URI',
				expect.stringMatching(/^ALLOWED_ORIGINS/),
				'SYNC_ROOMS_ADMIN',
				'SYNC_PERSIST_DELAY_MS'
			])
		);
	});

	it('requires a real secret in production', () => {
		expect(() => loadSyncConfig({ NODE_ENV: 'production' })).toThrow(/SYNC_SECRET/);
		expect(
			loadSyncConfig({ NODE_ENV: 'production', SYNC_SECRET: 'x'.repeat(32) }).secret
		).toHaveLength(32);
	});
});
