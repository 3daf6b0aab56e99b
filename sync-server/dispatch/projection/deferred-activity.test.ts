import { describe, expect, it } from 'vitest';
import { DeferredActivity } from './deferred-activity.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function deferredActivity(lazyMs: number) {
	const scheduled: string[] = [];
	const activity = new DeferredActivity({
		lazyMs,
		schedule: (orderId) => scheduled.push(orderId)
	});
	return { activity, scheduled };
}

describe('DeferredActivity', () => {
	it('lets a change wait from the first one on, for lazyMs, then schedules the order', async () => {
		const { activity, scheduled } = deferredActivity(60);
		const started = Date.now();
		expect(activity.mayWait('o1')).toBe(true);
		expect(activity.isWaiting('o1')).toBe(true);
		// a later change rides along with the first
		expect(activity.mayWait('o1')).toBe(true);
		expect(scheduled).toEqual([]);
		await expect.poll(() => scheduled, { timeout: 2_000 }).toEqual(['o1']);
		expect(Date.now() - started).toBeGreaterThanOrEqual(59);
		// due now: the batch writes it instead of letting it wait again
		expect(activity.mayWait('o1')).toBe(false);
		activity.settled('o1');
		expect(activity.isWaiting('o1')).toBe(false);
		expect([...activity.waiting()]).toEqual([]);
	});

	it('schedules each order when its own wait is up', async () => {
		const at = new Map<string, number>();
		const activity = new DeferredActivity({
			lazyMs: 80,
			schedule: (orderId) => void (at.has(orderId) || at.set(orderId, Date.now()))
		});
		const first = Date.now();
		activity.mayWait('o1');
		await sleep(40);
		const second = Date.now();
		activity.mayWait('o2');
		await expect.poll(() => at.size, { timeout: 2_000 }).toBe(2);
		expect(at.get('o1')! - first).toBeGreaterThanOrEqual(79);
		expect(at.get('o2')! - second).toBeGreaterThanOrEqual(79);
	});

	it('an order settled before its wait is up is not scheduled', async () => {
		const { activity, scheduled } = deferredActivity(30);
		activity.mayWait('o1');
		activity.settled('o1');
		await sleep(90);
		expect(scheduled).toEqual([]);
	});

	it('once stopped nothing waits: what waited is listed, not scheduled', async () => {
		const { activity, scheduled } = deferredActivity(30);
		activity.mayWait('o1');
		activity.stop();
		expect(activity.mayWait('o2')).toBe(false);
		expect([...activity.waiting()]).toEqual(['o1']);
		await sleep(90);
		expect(scheduled).toEqual([]);
	});

	it('with lazyMs 0 nothing waits', () => {
		const { activity } = deferredActivity(0);
		expect(activity.mayWait('o1')).toBe(false);
		expect(activity.isWaiting('o1')).toBe(false);
	});
});
