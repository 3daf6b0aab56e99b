// The sync-server's connections to Redis, for processes that share documents. Redis being away is
// expected (a restart, a failover): commands wait in the client's queue and are sent once it is
// back, errors are logged rather than thrown at the process, and whoever depends on messages
// that could have been missed meanwhile hears `reconnected`.
import { Redis } from 'ioredis';
import type { Logger } from '../../src/lib/shared/log.ts';

export interface RedisLink {
	/** Commands and transactions (leases, the storage writer's reads and acknowledgements). */
	readonly command: Redis;
	/** Appends to the shared log and channel messages, pipelined per turn of the event loop. */
	readonly publisher: Redis;
	/** Subscriptions only (a subscribed connection takes no other commands). */
	readonly subscriber: Redis;
	/** Blocking stream reads of the storage writer (a blocked connection takes no other commands). */
	readonly blocking: Redis;
	/** Runs `listener` each time the subscriber is back after losing its connection. */
	onReconnected(listener: () => void): void;
	close(): Promise<void>;
}

export function connectRedis(url: string, log: Logger): RedisLink {
	const options = {
		// wait for Redis to come back instead of failing the command
		maxRetriesPerRequest: null,
		retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1_000),
		lazyConnect: false
	};
	const make = (role: string, extra: { enableAutoPipelining?: boolean } = {}) => {
		const client = new Redis(url, {
			...options,
			...extra,
			connectionName: `dispatch-sync-${role}`
		});
		let lostAt: number | null = null;
		client.on('error', (error: Error) => {
			log.warn({ err: error.message, role }, 'redis connection error');
		});
		client.on('close', () => {
			if (lostAt === null) {
				lostAt = Date.now();
				log.warn({ role }, 'redis connection lost; commands wait for it');
			}
		});
		client.on('ready', () => {
			if (lostAt !== null) {
				log.info({ role, downMs: Date.now() - lostAt }, 'redis connection back');
				lostAt = null;
			}
		});
		return client;
	};
	const command = make('command');
	// the appends and publishes of one turn of the event loop go out in one write (a system call
	// per command was a third of the CPU of a process sharing documents)
	const publisher = make('publisher', { enableAutoPipelining: true });
	const subscriber = make('subscriber');
	const blocking = make('blocking');
	const listeners: Array<() => void> = [];
	let connectedOnce = false;
	subscriber.on('ready', () => {
		if (connectedOnce) for (const listener of listeners) listener();
		connectedOnce = true;
	});
	return {
		command,
		publisher,
		subscriber,
		blocking,
		onReconnected: (listener) => listeners.push(listener),
		async close() {
			const clients = [command, publisher, subscriber, blocking];
			await Promise.allSettled(clients.map((client) => client.quit()));
			for (const client of clients) client.disconnect();
		}
	};
}
