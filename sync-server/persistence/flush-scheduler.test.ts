import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlushScheduler } from './flush-scheduler.ts';

beforeEach(() => {
	vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});

afterEach(() => {
	vi.useRealTimers();
});

/**
 * A scheduler over a fake write: `started` holds when each write started (ms since the test
 * began); a write lasts until `finish()`. `due` is what `nextDue` answers.
 */
function schedule(options: { delayMs?: number; minIntervalMs?: number } = {}) {
	const began = Date.now();
	const started: number[] = [];
	let finishing: (() => void) | null = null;
	const state = { due: Infinity };
	const scheduler = new FlushScheduler({
		delayMs: options.delayMs ?? 0,
		minIntervalMs: options.minIntervalMs ?? 0,
		flush: () => {
			started.push(Date.now() - began);
			return new Promise<void>((resolve) => (finishing = resolve));
		},
		nextDue: () => state.due
	});
	const at = (ms: number) => vi.advanceTimersByTimeAsync(began + ms - Date.now());
	const finish = async (pendingDue = Infinity) => {
		state.due = pendingDue;
		finishing!();
		finishing = null;
		await vi.advanceTimersByTimeAsync(0);
	};
	return { scheduler, started, at, finish, state };
}

describe('FlushScheduler', () => {
	it('writes the first update at once; what arrives during a write goes out right after it', async () => {
		const { scheduler, started, at, finish } = schedule();
		scheduler.queued();
		await at(0);
		expect(started).toEqual([0]);
		await at(30);
		scheduler.queued();
		scheduler.queued();
		await at(80);
		expect(started).toEqual([0]); // one write at a time
		await finish(Date.now()); // something is pending, due now
		await at(80);
		expect(started).toEqual([0, 80]);
		await finish();
		await at(1_000);
		expect(started).toEqual([0, 80]); // nothing pending, nothing written
	});

	it('holds every write for the batching delay', async () => {
		const { scheduler, started, at, finish } = schedule({ delayMs: 400 });
		scheduler.queued();
		await at(399);
		expect(started).toEqual([]);
		await at(400);
		expect(started).toEqual([400]);
		scheduler.queued();
		await at(450);
		await finish(Date.now());
		await at(849);
		expect(started).toEqual([400]);
		await at(850);
		expect(started).toEqual([400, 850]);
	});

	it('starts writes no closer together than the interval; after a quiet spell, at once', async () => {
		const { scheduler, started, at, finish } = schedule({ minIntervalMs: 600 });
		scheduler.queued();
		await at(0);
		await at(10);
		await finish();
		await at(20);
		scheduler.queued();
		await at(599);
		expect(started).toEqual([0]);
		await at(600);
		expect(started).toEqual([0, 600]);
		await at(610);
		await finish();
		await at(5_000);
		scheduler.queued();
		await at(5_000);
		expect(started).toEqual([0, 600, 5_000]);
	});

	it('soon() skips the delay and the interval; during a write, the next starts as it ends', async () => {
		const { scheduler, started, at, finish } = schedule({ delayMs: 400, minIntervalMs: 600 });
		scheduler.queued();
		await at(100);
		scheduler.soon();
		await at(100);
		expect(started).toEqual([100]);
		scheduler.queued();
		scheduler.soon();
		await at(150);
		await finish(Date.now());
		await at(150);
		expect(started).toEqual([100, 150]);
		// urgency is spent: the next one waits for the delay and the interval again
		scheduler.queued();
		await at(200);
		await finish(Date.now());
		await at(749);
		expect(started).toEqual([100, 150]);
		await at(750);
		expect(started).toEqual([100, 150, 750]);
	});

	it('does not write a document before its retry time', async () => {
		const { scheduler, started, at, finish } = schedule();
		scheduler.queued();
		await at(0);
		await finish(Date.now() + 300); // the write failed; the document backs off
		await at(299);
		expect(started).toEqual([0]);
		await at(300);
		expect(started).toEqual([0, 300]);
	});

	it('cancel() drops the write scheduled next; after stop() nothing is scheduled', async () => {
		const { scheduler, started, at } = schedule({ delayMs: 100 });
		scheduler.queued();
		scheduler.cancel();
		await at(1_000);
		expect(started).toEqual([]);
		scheduler.stop();
		scheduler.queued();
		scheduler.soon();
		await at(2_000);
		expect(started).toEqual([]);
	});
});
