import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('Semaphore', () => {
	it('never runs more than its limit at once and runs waiters in order', async () => {
		const gate = new Semaphore(2);
		let running = 0;
		let peak = 0;
		const order: number[] = [];
		const releases: Array<() => void> = [];
		const tasks = [0, 1, 2, 3, 4].map((i) =>
			gate.run(async () => {
				running++;
				peak = Math.max(peak, running);
				order.push(i);
				await new Promise<void>((resolve) => releases.push(resolve));
				running--;
				return i;
			})
		);
		await tick();
		expect(order).toEqual([0, 1]);
		expect(gate.active).toBe(2);
		expect(gate.queued).toBe(3);
		while (releases.length > 0 || order.length < 5) {
			releases.shift()?.();
			await tick();
		}
		releases.splice(0).forEach((release) => release());
		expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4]);
		expect(order).toEqual([0, 1, 2, 3, 4]);
		expect(peak).toBe(2);
		expect(gate.active).toBe(0);
	});

	it('frees the slot when a task throws', async () => {
		const gate = new Semaphore(1);
		await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
		expect(await gate.run(async () => 'next')).toBe('next');
		expect(gate.active).toBe(0);
	});

	it('rejects a limit below one', () => {
		expect(() => new Semaphore(0)).toThrow(RangeError);
	});
});
