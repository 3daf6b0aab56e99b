import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
	it('allows a burst up to its capacity, then refuses', () => {
		const bucket = new TokenBucket(3, 1, 0);
		expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
			true,
			true,
			true,
			false
		]);
	});

	it('refills at its rate and never above capacity', () => {
		const bucket = new TokenBucket(2, 10, 0);
		bucket.take(0);
		bucket.take(0);
		expect(bucket.take(50)).toBe(false); // half a token
		expect(bucket.take(100)).toBe(true); // one token after 100 ms at 10/s
		expect(bucket.take(100_000)).toBe(true);
		expect(bucket.take(100_000)).toBe(true);
		expect(bucket.take(100_000)).toBe(false); // capped at 2 despite the long pause
	});

	it('ignores a clock that goes backwards', () => {
		const bucket = new TokenBucket(1, 1, 1_000);
		expect(bucket.take(1_000)).toBe(true);
		expect(bucket.take(0)).toBe(false);
		expect(bucket.take(1_500)).toBe(false);
		expect(bucket.take(2_000)).toBe(true);
	});

	it('rejects nonsense limits', () => {
		expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
		expect(() => new TokenBucket(1, 0)).toThrow(RangeError);
	});
});
