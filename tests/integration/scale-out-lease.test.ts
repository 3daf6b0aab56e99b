// The lease behind the storage writer and the presence writer, on a real redis-server: one holder
// at a time, handed over at once on stop, and let go by a holder cut off from Redis (or whose
// renewal Redis holds up) before the key can expire for the others.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/shared/log.ts';
import { Lease } from '../../sync-server/scale-out/lease.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { eventually } from '../support/sync-clients.ts';

let redis: TestRedis;
const clients: Redis[] = [];
const log = createLogger('test', 'silent');

beforeAll(async () => {
	redis = await startTestRedis();
});

afterAll(async () => {
	for (const client of clients) client.disconnect();
	await redis?.destroy();
});

function lease(key: string, holder: string, events: string[]) {
	const client = new Redis(redis.url, {
		maxRetriesPerRequest: null,
		retryStrategy: () => 100
	});
	client.on('error', () => undefined);
	clients.push(client);
	return new Lease({
		redis: client,
		key,
		holder,
		ttlMs: 2_000,
		renewMs: 200,
		onAcquired: () => events.push(`${holder} acquired`),
		onLost: (why) => events.push(`${holder} lost: ${why}`),
		log
	});
}

describe('lease', () => {
	it('has one holder; stopping hands it over within a renewal', async () => {
		const events: string[] = [];
		const one = lease('t:one', 'p1', events);
		const two = lease('t:one', 'p2', events);
		one.start();
		await eventually(() => one.held, 5_000, 'p1 holds');
		two.start();
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		expect([one.held, two.held]).toEqual([true, false]);
		const stoppedAt = Date.now();
		await one.stop();
		await eventually(() => two.held, 5_000, 'p2 holds');
		expect(Date.now() - stoppedAt).toBeLessThan(1_000);
		expect(events).toEqual(['p1 acquired', 'p2 acquired']);
		await two.stop();
	});

	it('a holder cut off from Redis lets go before the key expires, and someone takes it after', async () => {
		const events: string[] = [];
		const one = lease('t:two', 'p1', events);
		one.start();
		await eventually(() => one.held, 5_000, 'p1 holds');
		await redis.stop();
		const cutAt = Date.now();
		await eventually(() => !one.held, 5_000, 'p1 lets go');
		// half the lease's life (1 s) without a renewal, not the whole of it
		expect(Date.now() - cutAt).toBeLessThan(2_000);
		await redis.start();
		await eventually(() => one.held, 10_000, 'held again after Redis is back');
		expect(events[0]).toBe('p1 acquired');
		expect(events[1]).toMatch(/^p1 lost/);
		await one.stop();
	});

	it('a renewal that Redis holds up does not keep the holder from letting go', async () => {
		const events: string[] = [];
		const one = lease('t:three', 'p1', events);
		one.start();
		await eventually(() => one.held, 5_000, 'p1 holds');
		// Redis answers nobody for 4 s (and expires nothing meanwhile): the next renewal waits
		const admin = new Redis(redis.url);
		clients.push(admin);
		await admin.client('PAUSE', 4_000, 'ALL');
		const pausedAt = Date.now();
		await eventually(() => events.length === 2, 3_000, 'p1 lets go while its renewal waits');
		expect(events[1]).toBe('p1 lost: not renewed in time');
		expect(Date.now() - pausedAt).toBeLessThan(2_000);
		// the renewal answered after the pause is given back, and the lease taken afresh
		await eventually(() => events.length === 3 && one.held, 10_000, 'held again after the pause');
		expect(events[2]).toBe('p1 acquired');
		await one.stop();
	});
});
