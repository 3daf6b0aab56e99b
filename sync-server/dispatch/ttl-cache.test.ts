import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.ts';

function clock() {
	let now = 1_000;
	return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TtlCache', () => {
	it('reuses a value until its time is up, then looks it up again', async () => {
		const time = clock();
		const cache = new TtlCache<string, number>({ ttlMs: 100, maxEntries: 10, now: time.now });
		let lookups = 0;
		const load = async () => ++lookups;
		expect(await cache.get('a', load)).toBe(1);
		time.advance(99);
		expect(await cache.get('a', load)).toBe(1);
		time.advance(1);
		expect(await cache.get('a', load)).toBe(2);
	});

	it('counts what it answered from memory (or a lookup in flight) and what it looked up', async () => {
		const time = clock();
		const outcomes: string[] = [];
		const cache = new TtlCache<string, number>({
			ttlMs: 100,
			maxEntries: 10,
			now: time.now,
			counted: (outcome) => outcomes.push(outcome)
		});
		const load = async () => 7;
		await Promise.all([cache.get('a', load), cache.get('a', load)]);
		await cache.get('a', load);
		time.advance(100);
		await cache.get('a', load);
		await cache.get('b', async () => null);
		expect(outcomes).toEqual(['miss', 'hit', 'hit', 'miss', 'miss']);
	});

	it('caps an entry at the expiry the value itself carries', async () => {
		const time = clock();
		const cache = new TtlCache<string, { until: number }>({
			ttlMs: 1_000,
			maxEntries: 10,
			now: time.now
		});
		await cache.get(
			's',
			async () => ({ until: time.now() + 10 }),
			(v) => v.until
		);
		time.advance(9);
		expect(cache.peek('s')).toBeDefined();
		time.advance(1);
		expect(cache.peek('s')).toBeUndefined();
	});

	it('never caches a miss (null) or a failure', async () => {
		const cache = new TtlCache<string, number>({ ttlMs: 1_000, maxEntries: 10 });
		let lookups = 0;
		expect(await cache.get('a', async () => (lookups++, null))).toBeNull();
		expect(await cache.get('a', async () => (lookups++, null))).toBeNull();
		await expect(cache.get('b', () => Promise.reject(new Error('db down')))).rejects.toThrow(
			'db down'
		);
		expect(await cache.get('b', async () => 7)).toBe(7);
		expect(lookups).toBe(2);
	});

	it('shares one lookup between concurrent callers of a key', async () => {
		const cache = new TtlCache<string, number>({ ttlMs: 1_000, maxEntries: 10 });
		const pending = Promise.withResolvers<number>();
		let lookups = 0;
		const load = () => (lookups++, pending.promise);
		const results = Promise.all([cache.get('a', load), cache.get('a', load), cache.get('a', load)]);
		pending.resolve(5);
		expect(await results).toEqual([5, 5, 5]);
		expect(lookups).toBe(1);
	});

	it('does not cache a lookup that was in flight when a key was forgotten', async () => {
		const cache = new TtlCache<string, number>({ ttlMs: 1_000, maxEntries: 10 });
		const pending = Promise.withResolvers<number>();
		const first = cache.get('a', () => pending.promise);
		cache.deleteWhere((_value, key) => key === 'a');
		pending.resolve(1);
		expect(await first).toBe(1);
		expect(cache.peek('a')).toBeUndefined();
		expect(await cache.get('a', async () => 2)).toBe(2);
		expect(cache.peek('a')).toBe(2);
	});

	it('keeps at most maxEntries, dropping the oldest', async () => {
		const cache = new TtlCache<number, number>({ ttlMs: 1_000, maxEntries: 3 });
		for (let i = 0; i < 5; i++) await cache.get(i, async () => i);
		expect(cache.size).toBe(3);
		expect(cache.peek(0)).toBeUndefined();
		expect(cache.peek(1)).toBeUndefined();
		expect(cache.peek(4)).toBe(4);
	});

	it('caches nothing with a zero ttl', async () => {
		const cache = new TtlCache<string, number>({ ttlMs: 0, maxEntries: 3 });
		await cache.get('a', async () => 1);
		expect(cache.size).toBe(0);
	});
});
