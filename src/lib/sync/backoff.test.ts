import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, jitter, reconnectDelay } from './backoff.ts';

describe('reconnectDelay', () => {
	it('grows exponentially and stays between half the step and the step', () => {
		const steps = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
		steps.forEach((step, attempt) => {
			expect(reconnectDelay(attempt, () => 0)).toBe(step / 2);
			expect(reconnectDelay(attempt, () => 1)).toBe(step);
		});
	});

	it('never exceeds the cap, even for huge attempt counts', () => {
		for (const attempt of [30, 1_000, Number.MAX_SAFE_INTEGER]) {
			expect(reconnectDelay(attempt, () => 1)).toBe(DEFAULT_BACKOFF.maxMs);
		}
	});

	it('spreads many clients out instead of bringing them back at one instant', () => {
		const delays = Array.from({ length: 1_000 }, () => reconnectDelay(0));
		const distinct = new Set(delays).size;
		expect(Math.min(...delays)).toBeGreaterThanOrEqual(500);
		expect(Math.max(...delays)).toBeLessThanOrEqual(1_000);
		expect(distinct).toBeGreaterThan(100);
	});
});

describe('jitter', () => {
	it('stays within 0..max', () => {
		expect(jitter(800, () => 0)).toBe(0);
		expect(jitter(800, () => 1)).toBe(800);
		expect(jitter(800, () => 0.5)).toBe(400);
	});
});
