import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/lib/shared/log.ts';
import { ProjectionBatches } from './batches.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = createLogger('batches-test', 'silent');

/** Batches whose projection records each batch (and whether its orders count as projecting). */
function recorded(delayMs: number) {
	const batches: string[][] = [];
	const seenProjecting: boolean[] = [];
	const scheduler: ProjectionBatches = new ProjectionBatches({
		delayMs,
		log,
		project: async (orderIds) => {
			batches.push(orderIds);
			seenProjecting.push(orderIds.every((id) => scheduler.isProjecting(id)));
		}
	});
	return { scheduler, batches, seenProjecting };
}

describe('ProjectionBatches', () => {
	it('gathers what is scheduled within delayMs into one batch', async () => {
		const { scheduler, batches, seenProjecting } = recorded(40);
		scheduler.schedule('o1');
		scheduler.schedule('o2');
		scheduler.schedule('o1');
		expect(batches).toEqual([]);
		await expect.poll(() => batches, { timeout: 2_000 }).toEqual([['o1', 'o2']]);
		expect(seenProjecting).toEqual([true]);
		expect(scheduler.isProjecting('o1')).toBe(false);
	});

	it('what is scheduled while a batch runs goes into the next one, after it', async () => {
		const events: string[] = [];
		let started!: () => void;
		const first = new Promise<void>((resolve) => (started = resolve));
		const scheduler = new ProjectionBatches({
			delayMs: 5,
			log,
			project: async (orderIds) => {
				events.push(`start ${orderIds.join()}`);
				started();
				await sleep(60);
				events.push(`end ${orderIds.join()}`);
			}
		});
		scheduler.schedule('o1');
		await first;
		scheduler.schedule('o1');
		scheduler.schedule('o2');
		await expect.poll(() => events.length, { timeout: 2_000 }).toBe(4);
		expect(events).toEqual(['start o1', 'end o1', 'start o1,o2', 'end o1,o2']);
	});

	it('a failed batch is logged and the next one runs', async () => {
		const batches: string[][] = [];
		const scheduler = new ProjectionBatches({
			delayMs: 5,
			log,
			project: async (orderIds) => {
				batches.push(orderIds);
				if (orderIds.includes('bad')) throw new Error('database on fire');
			}
		});
		scheduler.schedule('bad');
		await expect.poll(() => batches.length, { timeout: 2_000 }).toBe(1);
		scheduler.schedule('o1');
		await expect.poll(() => batches, { timeout: 2_000 }).toEqual([['bad'], ['o1']]);
	});

	it('stop projects what is scheduled and what it is given at once, then takes no more', async () => {
		const { scheduler, batches } = recorded(60_000);
		scheduler.schedule('o1');
		await scheduler.stop(['o2', 'o1']);
		expect(batches).toEqual([['o1', 'o2']]);
		scheduler.schedule('o3');
		await sleep(20);
		expect(batches).toEqual([['o1', 'o2']]);
	});

	it('stop waits for the batch under way and then projects what came meanwhile', async () => {
		const batches: string[][] = [];
		let started!: () => void;
		const first = new Promise<void>((resolve) => (started = resolve));
		const scheduler = new ProjectionBatches({
			delayMs: 5,
			log,
			project: async (orderIds) => {
				batches.push(orderIds);
				started();
				await sleep(40);
			}
		});
		scheduler.schedule('o1');
		await first;
		scheduler.schedule('o2');
		await scheduler.stop();
		expect(batches).toEqual([['o1'], ['o2']]);
	});
});
