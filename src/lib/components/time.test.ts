import { describe, expect, it } from 'vitest';
import { formatAge, formatClock, formatDuration, startOfDay } from './time.ts';

const NOW = Date.parse('2025-03-04T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe('formatAge', () => {
	it('rounds down to coarse units', () => {
		expect(formatAge(ago(10_000), NOW)).toBe('just now');
		expect(formatAge(ago(4 * 60_000 + 59_000), NOW)).toBe('4 min ago');
		expect(formatAge(ago(2 * 3_600_000 + 1), NOW)).toBe('2 h ago');
		expect(formatAge(ago(3 * 86_400_000), NOW)).toBe('3 d ago');
	});

	it('treats a time ahead of this clock as now and ignores garbage', () => {
		expect(formatAge(ago(-90_000), NOW)).toBe('just now');
		expect(formatAge('not a date', NOW)).toBe('');
	});
});

describe('formatDuration', () => {
	it('reads naturally', () => {
		expect(formatDuration(45_000)).toBe('45 s');
		expect(formatDuration(23 * 60_000)).toBe('23 min');
		expect(formatDuration(65 * 60_000)).toBe('1 h 5 min');
		expect(formatDuration(120 * 60_000)).toBe('2 h');
		expect(formatDuration(-1)).toBe('–');
	});
});

describe('formatClock', () => {
	it('shows only the time today and adds the day otherwise', () => {
		const today = new Date(NOW);
		today.setHours(9, 5, 0, 0);
		expect(formatClock(today.toISOString(), NOW)).toMatch(/^9:05( AM)?$/);
		// no leading zero on the hour: "9:05 AM", not "09:05 AM"
		expect(formatClock(today.toISOString(), NOW, 'en-US')).toBe('9:05 AM');
		const earlier = new Date(today.getTime() - 3 * 86_400_000);
		expect(formatClock(earlier.toISOString(), NOW)).toMatch(/^[A-Z][a-z]{2} \d{1,2}, 9:05/);
	});
});

describe('startOfDay', () => {
	it('is local midnight of the same day', () => {
		const start = new Date(startOfDay(NOW));
		expect([start.getHours(), start.getMinutes(), start.getSeconds()]).toEqual([0, 0, 0]);
		expect(NOW - start.getTime()).toBeLessThan(86_400_000);
		expect(NOW - start.getTime()).toBeGreaterThanOrEqual(0);
	});
});
