import { describe, expect, it } from 'vitest';
import type { Collections } from './db.ts';
import { PRUNE_BATCH, throttledPrune } from './housekeeping.ts';

// Only the scheduling is tested here (two stand-in databases, a prune that counts its runs);
// tests/integration/housekeeping.test.ts runs the real prunes against the database.
const dbA = {} as Collections;
const dbB = {} as Collections;
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('throttledPrune', () => {
	it('runs once per interval and database, again at once after a full batch', async () => {
		const runs: Collections[] = [];
		let full = false;
		const soon = throttledPrune(async (c) => {
			runs.push(c);
			return full ? PRUNE_BATCH : PRUNE_BATCH - 1;
		}, 60_000);
		const t0 = new Date('2026-01-01T00:00:00Z');
		soon(dbA, t0);
		soon(dbA, t0); // running
		await settle();
		soon(dbA, new Date(t0.getTime() + 59_999)); // within the interval
		soon(dbB, t0); // another database has its own
		await settle();
		expect(runs).toEqual([dbA, dbB]);

		soon(dbA, new Date(t0.getTime() + 60_000));
		await settle();
		expect(runs).toEqual([dbA, dbB, dbA]);

		full = true;
		soon(dbA, new Date(t0.getTime() + 120_000));
		await settle();
		soon(dbA, new Date(t0.getTime() + 120_001)); // the last batch was full: more are waiting
		await settle();
		expect(runs).toEqual([dbA, dbB, dbA, dbA, dbA]);
	});

	it('never throws, and a failed prune waits for the interval like any other', async () => {
		let runs = 0;
		const soon = throttledPrune(async () => {
			runs++;
			throw new Error('database down');
		}, 1_000);
		const t0 = new Date('2026-01-01T00:00:00Z');
		expect(() => soon(dbA, t0)).not.toThrow();
		await settle();
		soon(dbA, new Date(t0.getTime() + 999));
		await settle();
		soon(dbA, new Date(t0.getTime() + 1_000));
		await settle();
		expect(runs).toBe(2);
	});
});
