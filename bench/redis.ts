// Debian's redis-server for the bench's shared topologies: started as the tests start it
// (tests/support/redis.ts: loopback, a scratch folder, the append-only file synced every second),
// but as one of the bench's children, pinned with the servers and killed with them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../tests/support/ports.ts';
import { pingRedis, redisServerArgs } from '../tests/support/redis.ts';
import { sleep, spawnChild, type Child } from './processes.ts';

export interface RunningRedis {
	child: Child;
	url: string;
	stop(): Promise<void>;
}

export async function startRedis(core: number | null): Promise<RunningRedis> {
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), 'dispatch-bench-redis-'));
	const child = spawnChild({
		name: 'redis-server',
		command: 'redis-server',
		args: redisServerArgs(port, dir),
		core
	});
	const stop = () => child.stop(5_000).finally(() => rmSync(dir, { recursive: true, force: true }));
	const deadline = Date.now() + 10_000;
	while (!(await pingRedis(port))) {
		if (child.child.exitCode !== null || Date.now() > deadline) {
			const output = child.output();
			await stop();
			throw new Error(`redis-server did not start:\n${output.slice(-2000)}`);
		}
		await sleep(50);
	}
	return { child, url: `redis://127.0.0.1:${port}`, stop };
}
