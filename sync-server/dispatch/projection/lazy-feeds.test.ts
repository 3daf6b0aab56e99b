import { describe, expect, it } from 'vitest';
import { dropOlderThan, LazyFeeds } from './lazy-feeds.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lazyFeeds(lazyMs: number) {
	const watched = new Set<string>();
	const scheduled: string[] = [];
	const lazy = new LazyFeeds({
		lazyMs,
		isWatched: (feed) => watched.has(feed),
		schedule: (orderId) => scheduled.push(orderId)
	});
	return { lazy, watched, scheduled };
}

describe('LazyFeeds', () => {
	it('a feed someone has open is always due, one nobody has open once per lazyMs', () => {
		const { lazy, watched } = lazyFeeds(1_000);
		const t = Date.now();
		expect(lazy.isDue('feed/a', t)).toBe(true);
		lazy.written('feed/a', ['o1'], t);
		expect(lazy.isDue('feed/a', t + 10)).toBe(false);
		watched.add('feed/a');
		expect(lazy.isDue('feed/a', t + 10)).toBe(true);
		watched.clear();
		expect(lazy.isDue('feed/a', t + 999)).toBe(false);
		expect(lazy.isDue('feed/a', t + 1_000)).toBe(true);
		// another feed has its own time
		expect(lazy.isDue('feed/b', t + 10)).toBe(true);
	});

	it('owes entries while a feed is not due and schedules them once lazyMs has passed', async () => {
		const { lazy, scheduled } = lazyFeeds(50);
		const t = Date.now();
		lazy.written('feed/a', ['o1'], t);
		lazy.owe('feed/a', ['o1', 'o2'], t);
		lazy.owe('feed/b', ['o2'], t);
		expect(lazy.owedEntries()).toBe(3);
		expect(lazy.owedTo('o2').sort()).toEqual(['feed/a', 'feed/b']);
		expect(scheduled).toEqual([]);
		await expect.poll(() => scheduled.length, { timeout: 2_000 }).toBe(3);
		expect(scheduled.sort()).toEqual(['o1', 'o2', 'o2']);
		// being paid, the feed is due whoever has it open
		const now = Date.now();
		expect(lazy.isDue('feed/a', now)).toBe(true);
		lazy.written('feed/a', ['o1', 'o2'], now);
		expect(lazy.owedTo('o1')).toEqual([]);
		expect(lazy.owedTo('o2')).toEqual(['feed/b']);
		expect(lazy.owedEntries()).toBe(1);
		expect(lazy.isDue('feed/a', now + 1)).toBe(false);
	});

	it('a write that carries part of what a feed is owed schedules the rest at once', () => {
		const { lazy, watched, scheduled } = lazyFeeds(60_000);
		const t = Date.now();
		lazy.written('feed/a', ['o0'], t);
		lazy.owe('feed/a', ['o1', 'o2'], t);
		watched.add('feed/a');
		expect(lazy.isDue('feed/a', t + 1)).toBe(true);
		lazy.written('feed/a', ['o1'], t + 1);
		expect(scheduled).toEqual(['o2']);
		expect(lazy.owedEntries()).toBe(0);
		watched.clear();
		// the rest goes in the next batch whatever the feed's age
		expect(lazy.isDue('feed/a', t + 2)).toBe(true);
		lazy.written('feed/a', ['o2'], t + 2);
		expect(lazy.isDue('feed/a', t + 3)).toBe(false);
	});

	it('someone opening a feed gets what it is owed in the next batch', () => {
		const { lazy, scheduled } = lazyFeeds(60_000);
		const t = Date.now();
		lazy.written('feed/a', [], t);
		lazy.owe('feed/a', ['o1'], t);
		lazy.joined('feed/b');
		expect(scheduled).toEqual([]);
		lazy.joined('feed/a');
		expect(scheduled).toEqual(['o1']);
		expect(lazy.isDue('feed/a', t + 1)).toBe(true);
	});

	it('an entry paid on its own leaves the rest owed', () => {
		const { lazy } = lazyFeeds(60_000);
		const t = Date.now();
		lazy.owe('feed/a', ['o1', 'o2'], t);
		lazy.owe('feed/b', ['o1'], t);
		lazy.paidOne('feed/a', 'o1');
		expect(lazy.owedTo('o1')).toEqual(['feed/b']);
		expect([...lazy.owedOrders()].sort()).toEqual(['o1', 'o2']);
		lazy.paidOne('feed/b', 'o1');
		lazy.paidOne('feed/a', 'o2');
		expect(lazy.owedEntries()).toBe(0);
		expect([...lazy.owedOrders()]).toEqual([]);
	});

	it('once stopped every feed is due and the timer schedules nothing', async () => {
		const { lazy, scheduled } = lazyFeeds(20);
		const t = Date.now();
		lazy.written('feed/a', [], t);
		lazy.owe('feed/a', ['o1'], t);
		lazy.stop();
		expect([...lazy.owedOrders()]).toEqual(['o1']);
		expect(lazy.isDue('feed/a', t)).toBe(true);
		await sleep(80);
		expect(scheduled).toEqual([]);
	});

	it('with lazyMs 0 nothing waits', () => {
		const { lazy } = lazyFeeds(0);
		const t = Date.now();
		lazy.written('feed/a', ['o1'], t);
		expect(lazy.isDue('feed/a', t)).toBe(true);
	});
});

describe('dropOlderThan', () => {
	it('keeps only the times after the cutoff (a feed written that long ago counts as never)', () => {
		const times = new Map([
			['feed/a', 1_000],
			['feed/b', 5_000],
			['feed/c', 5_001],
			['feed/d', 9_000]
		]);
		dropOlderThan(times, 5_000);
		expect([...times.keys()]).toEqual(['feed/c', 'feed/d']);
	});
});
