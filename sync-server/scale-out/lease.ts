// A lease in Redis: one process at a time holds a role (the storage writer, the presence writer).
// The holder renews it every `renewMs`; a holder that has not renewed it for half its life
// counts as not holding it any more (it may be cut off from Redis while the key expires and
// another process takes it), so two processes never act on the same role at once as long as
// their clocks run at the same rate. Others try to take it at the same interval.
import type { Redis } from 'ioredis';
import type { Logger } from '../../src/lib/shared/log.ts';

/** Extends the lease only if this process still holds it. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Releases the lease only if this process still holds it. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface LeaseOptions {
	redis: Redis;
	key: string;
	holder: string;
	/** How long the lease lasts without renewal (default 10 s). */
	ttlMs?: number;
	/** How often it is renewed, or tried for (default 1 s). */
	renewMs?: number;
	/** This process took the role. */
	onAcquired?: () => void;
	/** This process lost the role (not renewed in time, or taken); not called by `stop()`. */
	onLost?: (why: string) => void;
	log: Logger;
}

export class Lease {
	private readonly ttlMs: number;
	private readonly renewMs: number;
	private timer: NodeJS.Timeout | null = null;
	private renewedAt: number | null = null;
	private busy = false;
	/** Counts the times the lease was lost: a renewal answered after a loss is not a renewal. */
	private losses = 0;

	constructor(private readonly options: LeaseOptions) {
		this.ttlMs = options.ttlMs ?? 10_000;
		this.renewMs = options.renewMs ?? 1_000;
	}

	/** True while this process holds the lease and renewed it within half its life. */
	get held(): boolean {
		return this.renewedAt !== null && Date.now() - this.renewedAt <= this.ttlMs / 2;
	}

	start(): void {
		this.timer = setInterval(() => void this.tick(), this.renewMs);
		this.timer.unref();
		void this.tick();
	}

	/** Stops trying and gives the lease back if held (another process can take it at once). */
	async stop(): Promise<void> {
		if (this.timer) clearInterval(this.timer);
		this.timer = null;
		const had = this.renewedAt !== null;
		this.losses++;
		this.renewedAt = null;
		if (!had) return;
		const { redis, key, holder } = this.options;
		await redis.eval(RELEASE, 1, key, holder).catch(() => 0);
	}

	/** Gives the role up now (after a failure), so that another process may take it. */
	async giveUp(): Promise<void> {
		this.losses++;
		this.renewedAt = null;
		const { redis, key, holder } = this.options;
		await redis.eval(RELEASE, 1, key, holder).catch(() => 0);
	}

	private async tick(): Promise<void> {
		if (this.timer === null) return;
		// checked even while a renewal is in flight: one sent as Redis went away waits for it to
		// come back (the client sends it again), and the role must be let go meanwhile
		if (this.renewedAt !== null && !this.held) this.lose('not renewed in time');
		if (this.busy) return;
		this.busy = true;
		const { redis, key, holder, log } = this.options;
		try {
			if (this.renewedAt !== null) {
				if (redis.status !== 'ready') return;
				const losses = this.losses;
				const renewed = await redis.eval(RENEW, 1, key, holder, String(this.ttlMs));
				if (this.losses !== losses) {
					// let go while it was on its way: give the key back, to be taken afresh
					if (renewed === 1) await redis.eval(RELEASE, 1, key, holder);
				} else if (renewed === 1) this.renewedAt = Date.now();
				else this.lose('taken by another process');
				return;
			}
			if (redis.status !== 'ready') return;
			const taken = await redis.set(key, holder, 'PX', this.ttlMs, 'NX');
			if (taken === 'OK' && this.timer !== null) {
				this.renewedAt = Date.now();
				this.options.onAcquired?.();
			}
		} catch (error) {
			log.warn({ err: error, lease: key }, 'lease check failed');
		} finally {
			this.busy = false;
		}
	}

	private lose(why: string): void {
		this.losses++;
		this.renewedAt = null;
		this.options.log.warn({ lease: this.options.key, why }, 'lease lost');
		this.options.onLost?.(why);
	}
}
