// A partner's delivery stats, one partner at a time (profile page) and all at once (the admin
// board's full refresh): the same numbers from the same orders.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database, OrderIndexDoc } from '../../src/lib/shared/db.ts';
import { randomId } from '../../src/lib/shared/ids.ts';
import { computeAllPartnerStats, computePartnerStats } from '../../src/lib/shared/partner-stats.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';

let database: Database;

beforeAll(async () => {
	database = (await openTestDatabase('partner_stats')).database;
});

afterAll(async () => {
	await dropTestDatabase(database);
});

function order(
	partnerId: string | null,
	status: OrderIndexDoc['status'],
	stars?: number
): OrderIndexDoc {
	const now = new Date();
	return {
		_id: randomId(8),
		customerId: 'c1',
		customerName: 'Cara',
		partnerId,
		partnerName: partnerId,
		status,
		total: 1000,
		itemCount: 1,
		city: 'Springfield',
		createdAt: now,
		updatedAt: now,
		claimedAt: partnerId ? now : null,
		deliveredAt: status === 'delivered' ? now : null,
		cancelledAt: status === 'cancelled' ? now : null,
		rating: stars === undefined ? null : { stars, comment: '' },
		conflicts: 0
	};
}

it('counts deliveries, active orders and the mean rating per partner, the same both ways', async () => {
	await database.collections.orders.insertMany([
		order('pat', 'delivered', 5),
		order('pat', 'delivered', 4),
		order('pat', 'delivered'),
		order('pat', 'preparing'),
		order('pat', 'out_for_delivery'),
		order('pat', 'cancelled'),
		order('sam', 'delivered', 3),
		order('sam', 'accepted'),
		order(null, 'pending')
	]);
	const all = await computeAllPartnerStats(database.collections);
	expect(all.get('pat')).toEqual({
		deliveredCount: 3,
		activeCount: 2,
		ratingCount: 2,
		ratingAverage: 4.5
	});
	expect(all.get('sam')).toEqual({
		deliveredCount: 1,
		activeCount: 1,
		ratingCount: 1,
		ratingAverage: 3
	});
	expect([...all.keys()].sort()).toEqual(['pat', 'sam']);
	// some partners only, in the same one read
	const some = await computeAllPartnerStats(database.collections, ['sam', 'nobody']);
	expect([...some]).toEqual([['sam', all.get('sam')]]);
	for (const id of ['pat', 'sam']) {
		expect(await computePartnerStats(database.collections, id)).toEqual(all.get(id));
	}
	expect(await computePartnerStats(database.collections, 'nobody')).toEqual({
		deliveredCount: 0,
		activeCount: 0,
		ratingCount: 0,
		ratingAverage: null
	});
});
