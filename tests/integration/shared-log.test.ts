// The shared log against a real redis-server: appends of one turn go out as one pipeline and keep
// their order, an append Redis refuses is sent again until it is taken, a load's read of the stream
// pages through it and takes the tail after the last page, and a tail a load records never
// overwrites the storage writer's.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedLog, decodeMessage } from '../../sync-server/scale-out/shared-log.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

let redis: TestRedis;
let client: Redis;
let subscriber: Redis;
let prefix = 0;

beforeAll(async () => {
	redis = await startTestRedis();
	client = new Redis(redis.url);
	subscriber = new Redis(redis.url);
}, 30_000);

afterAll(async () => {
	client?.disconnect();
	subscriber?.disconnect();
	await redis?.destroy();
});

/** A shared log under keys of its own. */
function freshLog(): SharedLog {
	prefix++;
	return new SharedLog(client, 'proc-test', `shared-log-${prefix}:`);
}

async function calls(command: string): Promise<number> {
	const info = await client.info('commandstats');
	return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

const bytes = (...values: number[]) => new Uint8Array(values);

describe('SharedLog', () => {
	it('appends of one callback go to Redis as one pipeline, in order, each announced', async () => {
		const log = freshLog();
		let pipelines = 0;
		const pipeline = client.pipeline.bind(client);
		client.pipeline = ((...args: Parameters<typeof pipeline>) => {
			pipelines++;
			return pipeline(...args);
		}) as typeof client.pipeline;
		const heard: number[] = [];
		subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
			if (channel.toString() === log.channel('order/a'))
				heard.push(decodeMessage(message)!.payload[0]!);
		});
		await subscriber.subscribe(log.channel('order/a'));
		const [xadds, execs] = [await calls('xadd'), await calls('exec')];
		await Promise.all(
			Array.from({ length: 20 }, (_, i) =>
				log.append(i % 2 === 0 ? 'order/a' : 'order/b', bytes(i))
			)
		);
		// (a pipeline, not a transaction: see SharedLog.sendAppends)
		expect(pipelines).toBe(1);
		expect((await calls('xadd')) - xadds).toBe(20);
		expect(await calls('exec')).toBe(execs);
		const { updates } = await log.unstored('order/a');
		expect(updates.map((u) => u[0])).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
		await expect.poll(() => heard.length).toBe(10);
		expect(heard).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
		await subscriber.unsubscribe(log.channel('order/a'));
		// appends of a later callback go in a pipeline of their own
		await log.append('order/a', bytes(99));
		expect(pipelines).toBe(2);
		client.pipeline = pipeline;
	});

	it('an append Redis refuses is sent again until it is taken, and resolves only then', async () => {
		const log = freshLog();
		// the stream's key holds a string: every XADD fails (WRONGTYPE)
		await client.set(log.keys.stream, 'in the way');
		let done = false;
		const appended = log.append('order/r', bytes(7)).then(() => (done = true));
		const xadds = await calls('xadd');
		await expect
			.poll(async () => (await calls('xadd')) - xadds, { timeout: 5_000 })
			.toBeGreaterThan(1);
		expect(done).toBe(false);
		await client.del(log.keys.stream);
		await appended;
		expect((await log.unstored('order/r')).updates).toEqual([bytes(7)]);
	});

	it('a load reads every page of the stream, then the tail', async () => {
		const log = freshLog();
		const batch = client.pipeline();
		for (let i = 0; i < 2_500; i++) {
			batch.xadd(
				log.keys.stream,
				'*',
				'd',
				i % 500 === 7 ? 'order/p' : 'order/other',
				'u',
				Buffer.from([i % 256])
			);
		}
		await batch.exec();
		expect(await log.unstored('order/p')).toEqual({
			updates: [7, 507, 1007, 1507, 2007].map((i) => bytes(i % 256)),
			tail: null
		});
		await client.set(log.keys.tailPrefix + 'order/p', '12');
		expect((await log.unstored('order/p')).tail).toBe(12);
		await client.set(log.keys.tailPrefix + 'order/p', 'not a number');
		expect((await log.unstored('order/p')).tail).toBeNull();
	});

	it('a tail recorded by a load never replaces the storage writer’s', async () => {
		const log = freshLog();
		await log.recordTail('order/t', 3);
		expect((await log.unstored('order/t')).tail).toBe(3);
		// the writer's record (SET, as it deletes the entries it stored) wins over any load's
		await client.set(log.keys.tailPrefix + 'order/t', '5');
		await log.recordTail('order/t', 4);
		expect((await log.unstored('order/t')).tail).toBe(5);
		expect(await client.ttl(log.keys.tailPrefix + 'order/t')).toBe(-1);
		await log.recordTail('order/u', 2);
		expect(await client.ttl(log.keys.tailPrefix + 'order/u')).toBeGreaterThan(3_600);
	});
});
