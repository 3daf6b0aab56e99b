import { describe, expect, it } from 'vitest';
import { dayStatsOf } from './day-stats.ts';

const at = (iso: string) => new Date(iso);
const from = at('2025-03-10T00:00:00Z');

describe('dayStatsOf', () => {
	it('counts what was placed, delivered and cancelled in the span, and the revenue and time of deliveries', () => {
		const stats = dayStatsOf(
			[
				// placed yesterday, delivered today: a delivery of today, not placed today
				{
					status: 'delivered',
					total: 1000,
					createdAt: at('2025-03-09T23:30:00Z'),
					deliveredAt: at('2025-03-10T00:10:00Z'),
					cancelledAt: null
				},
				{
					status: 'delivered',
					total: 500,
					createdAt: at('2025-03-10T09:00:00Z'),
					deliveredAt: at('2025-03-10T09:20:00Z'),
					cancelledAt: null
				},
				{
					status: 'cancelled',
					total: 700,
					createdAt: at('2025-03-10T10:00:00Z'),
					deliveredAt: null,
					cancelledAt: at('2025-03-10T10:05:00Z')
				},
				{
					status: 'preparing',
					total: 900,
					createdAt: at('2025-03-10T11:00:00Z'),
					deliveredAt: null,
					cancelledAt: null
				}
			],
			from,
			null,
			'USD'
		);
		expect(stats).toEqual({
			from: from.toISOString(),
			to: null,
			placed: 3,
			delivered: 2,
			cancelled: 1,
			revenue: 1500,
			revenueByCurrency: { USD: 1500 },
			averageDeliveryMs: 30 * 60_000
		});
	});

	it('sums the revenue per currency the orders were placed in; rows without one are the shop’s', () => {
		const delivered = (total: number, currency?: string) => ({
			status: 'delivered' as const,
			total,
			...(currency ? { currency } : {}),
			createdAt: at('2025-03-10T09:00:00Z'),
			deliveredAt: at('2025-03-10T09:30:00Z'),
			cancelledAt: null
		});
		const stats = dayStatsOf(
			[delivered(1000), delivered(250, 'EUR'), delivered(500, 'USD'), delivered(300, 'EUR')],
			from,
			null,
			'USD'
		);
		expect(stats.revenue).toBe(1500);
		expect(stats.revenueByCurrency).toEqual({ USD: 1500, EUR: 550 });
		expect(dayStatsOf([], from, null, 'INR').revenueByCurrency).toEqual({ INR: 0 });
	});

	it('leaves out what happened after `to`, and has no mean time before the first delivery', () => {
		const stats = dayStatsOf(
			[
				{
					status: 'delivered',
					total: 1000,
					createdAt: at('2025-03-10T08:00:00Z'),
					deliveredAt: at('2025-03-11T08:00:00Z'),
					cancelledAt: null
				}
			],
			from,
			at('2025-03-11T00:00:00Z')
		);
		expect(stats).toMatchObject({ placed: 1, delivered: 0, revenue: 0, averageDeliveryMs: null });
	});
});
