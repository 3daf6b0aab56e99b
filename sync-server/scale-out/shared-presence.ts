// Which partners are online, across every process sharing documents: each process keeps its own
// partners' sockets in a sorted set in Redis (member `<partner>\t<process>`, score = when it
// expires unless refreshed), and reads everyone's. Of the processes holding feed/admin, only the
// holder of the presence lease writes presence changes into it, so a change is written once.
import type { Redis } from 'ioredis';
import type { Logger } from '../../src/lib/shared/log.ts';
import { Lease } from './lease.ts';

export interface SharedPresenceOptions {
	redis: Redis;
	prefix: string;
	processId: string;
	/** How long an entry lives without being refreshed (default 5 s). */
	ttlMs?: number;
	log: Logger;
}

export class SharedPresence {
	private readonly key: string;
	private readonly ttlMs: number;
	private readonly lease: Lease;
	private leaseRunning = false;
	/** What this process published last. */
	private published = new Set<string>();

	constructor(private readonly options: SharedPresenceOptions) {
		this.key = `${options.prefix}online`;
		this.ttlMs = options.ttlMs ?? 5_000;
		this.lease = new Lease({
			redis: options.redis,
			key: `${options.prefix}presence-writer`,
			holder: options.processId,
			log: options.log
		});
	}

	/** Publishes this process's online partners; returns the partners online on any process. */
	async exchange(local: ReadonlySet<string>): Promise<Set<string>> {
		const now = Date.now();
		const member = (id: string) => `${id}\t${this.options.processId}`;
		const batch = this.options.redis.multi();
		const gone = [...this.published].filter((id) => !local.has(id));
		if (gone.length > 0) batch.zrem(this.key, ...gone.map(member));
		if (local.size > 0) {
			const expires = now + this.ttlMs;
			batch.zadd(this.key, ...[...local].flatMap((id) => [expires, member(id)]));
		}
		batch.zremrangebyscore(this.key, '-inf', now);
		batch.zrangebyscore(this.key, now, '+inf');
		const results = await batch.exec();
		if (!results) throw new Error('redis discarded the presence exchange');
		const failed = results.find(([error]) => error !== null);
		if (failed) throw failed[0];
		this.published = new Set(local);
		const members = results.at(-1)![1] as string[];
		return new Set(members.map((m) => m.slice(0, m.indexOf('\t'))));
	}

	/**
	 * Whether this process writes presence into feed/admin: only while it holds it (`holding`),
	 * and only the one holder of the lease among those that do.
	 */
	writes(holding: boolean): boolean {
		if (holding && !this.leaseRunning) {
			this.leaseRunning = true;
			this.lease.start();
		} else if (!holding && this.leaseRunning) {
			this.leaseRunning = false;
			void this.lease.stop();
		}
		return holding && this.lease.held;
	}

	async stop(): Promise<void> {
		this.leaseRunning = false;
		await this.lease.stop();
		if (this.published.size === 0) return;
		const members = [...this.published].map((id) => `${id}\t${this.options.processId}`);
		await this.options.redis.zrem(this.key, ...members).catch(() => 0);
	}
}
