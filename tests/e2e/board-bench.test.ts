// The board benchmark (bench/board.ts) in its smoke size, so it keeps working: a board of a few
// hundred active orders and a thousand finished ones, its first sync and its frames while 20
// orders a second change. The full size is `npm run bench:board` (numbers in
// docs/partner-admin.md); at the smoke size the targets hold with a wide margin, so they are
// asserted here.
import { inject, describe, expect, it } from 'vitest';
import { runBoardBench, SMOKE_SIZE } from '../../bench/board.ts';

describe('the board benchmark (smoke size)', () => {
	it('measures the first sync and the frames while orders change, within the targets', async () => {
		const result = await runBoardBench({ baseUri: inject('mongoBaseUri'), ...SMOKE_SIZE });
		console.log(JSON.stringify(result));
		expect(result.firstSync.node.entries).toBe(SMOKE_SIZE.active);
		expect(result.firstSync.node.bytes).toBeGreaterThan(0);
		expect(result.firstSync.browser.cards).toBeGreaterThan(0);
		expect(result.updates.changes).toBe(SMOKE_SIZE.rate * SMOKE_SIZE.seconds);
		expect(result.updates.frames.count).toBeGreaterThan(0);
		expect(result.updates.caughtUp).toBe(true);
		expect(result.targets).toEqual({
			firstSyncMs: true,
			firstSyncBytes: true,
			noLongTaskOver100: true
		});
	});
});
