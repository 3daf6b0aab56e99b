import { expect, it } from 'vitest';
import { backoffDelay } from './retry.ts';

it('backs off exponentially with jitter, capped', () => {
	expect(backoffDelay(0, 100, 5_000, () => 0)).toBe(50);
	expect(backoffDelay(0, 100, 5_000, () => 1)).toBe(100);
	expect(backoffDelay(3, 100, 5_000, () => 1)).toBe(800);
	expect(backoffDelay(20, 100, 5_000, () => 1)).toBe(5_000);
	expect(backoffDelay(20, 100, 5_000, () => 0)).toBe(2_500);
});
