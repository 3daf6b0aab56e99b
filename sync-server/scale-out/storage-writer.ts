// The storage writer: of the processes sharing documents, one at a time moves the shared log into
// MongoDB. It holds a lease in Redis, renewed while it lives; with the lease it is the only writer
// of the update log, its generations and the snapshots, so everything persistence/ does for one
// process holds unchanged (group commit, compaction, retirement), and compaction of a document
// never runs in two processes at once.
//
// It reads the stream as the one consumer of a consumer group, a consumer per term: an entry is
// acknowledged and deleted only once its MongoDB write completed, so the entries a writer had read
// but not stored when it died or stepped down stay pending under its term's consumer, and the
// writer of the current term takes them over, at its start and every second after (an update
// stored twice changes nothing). A read an ended term had in flight may still deliver entries,
// e.g. once Redis is back after an outage that cost the term its lease: those are taken over
// too. A writer that cannot renew its lease stops writing well before the lease expires and
// another process can take it. Leaving gracefully, it flushes and hands the lease back at once.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from '../../src/lib/shared/log.ts';
import type { MongoPersistence } from '../persistence/mongo-persistence.ts';
import { Lease } from './lease.ts';
import type { RedisLink } from './redis-link.ts';
import { parseEntries, TAIL_TTL_S, type LogEntry, type SharedLog } from './shared-log.ts';

/** How long the writer waits after a failed read of the stream before the next. */
const RETRY_READ_MS = 250;
/** Entries pending this long (their store failed) are taken again by the writer. */
const RECLAIM_MS = 30_000;
/**
 * Removes a consumer (KEYS[1] stream, ARGV[1] group, ARGV[2] consumer) only if it holds nothing
 * pending, in one step: a read of an ended term still on its way (resent as Redis came back) may
 * deliver entries to it at any moment, and removing a consumer drops what it holds from the
 * group for good.
 */
const DELETE_IF_EMPTY = `
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
	return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1
`;

export interface StorageWriterOptions {
	link: RedisLink;
	sharedLog: SharedLog;
	/** A storage for one term as the writer (opened, then closed when the term ends). */
	makeStorage: () => MongoPersistence;
	log: Logger;
	registry: Registry;
	/** How long the lease lasts without renewal (default 10 s). */
	leaseMs?: number;
	/** How often it is renewed, or tried for (default 1 s). */
	renewMs?: number;
	/** Entries read at once (default 500). */
	batch?: number;
	/**
	 * The least time from one read of the stream to the next (default 50 ms, as the group commit
	 * writes): entries gather meanwhile, and go to MongoDB in fewer, larger writes.
	 */
	readIntervalMs?: number;
	/** A document not written for this long is flushed, compacted and forgotten (default 30 s). */
	idleMs?: number;
}

export class StorageWriter {
	private readonly lease: Lease;
	private readonly batch: number;
	private readonly idleMs: number;
	private readonly readIntervalMs: number;
	private timer: NodeJS.Timeout | null = null;
	private storage: MongoPersistence | null = null;
	private term: Promise<void> | null = null;
	/** The last term's end (its storage closing): the next term starts after it. */
	private ending: Promise<void> = Promise.resolve();
	private claimedAt = 0;
	/** This term's consumer in the group (`<process id>/<random>`). */
	private consumer = '';
	private readonly lastWrite = new Map<string, number>();
	private readonly toAck: string[] = [];
	/** Per document stored since the last acknowledgements: how far its log now goes. */
	private readonly tails = new Map<string, number>();
	private ackScheduled = false;
	private readonly leading: Gauge;
	private readonly stored: Counter;

	constructor(private readonly options: StorageWriterOptions) {
		this.lease = new Lease({
			redis: options.link.command,
			key: options.sharedLog.keys.writerLease,
			holder: options.sharedLog.processId,
			ttlMs: options.leaseMs,
			renewMs: options.renewMs,
			onAcquired: () => this.beginTerm(),
			onLost: (why) => void this.endTerm(why),
			log: options.log
		});
		this.batch = options.batch ?? 500;
		this.idleMs = options.idleMs ?? 30_000;
		this.readIntervalMs = options.readIntervalMs ?? 50;
		this.leading = new Gauge({
			name: 'sync_storage_writer',
			help: '1 while this process is the storage writer of the shared log',
			registers: [options.registry]
		});
		this.stored = new Counter({
			name: 'sync_shared_log_stored_total',
			help: 'Shared log entries this process moved into MongoDB',
			registers: [options.registry]
		});
		new Gauge({
			name: 'sync_shared_log_backlog',
			help: 'Entries in the shared log not in MongoDB yet (read by the storage writer)',
			registers: [options.registry],
			collect: async function (this: Gauge) {
				if (options.link.command.status === 'ready') {
					this.set(await options.sharedLog.backlog().catch(() => 0));
				}
			}
		});
	}

	/** True while this process holds the lease and writes. */
	get isWriter(): boolean {
		return this.storage !== null;
	}

	start(): void {
		this.lease.start();
		this.timer = setInterval(() => void this.housekeeping(), 1_000);
		this.timer.unref();
	}

	/** Graceful: stops writing, flushes, and hands the lease back. */
	async stop(): Promise<void> {
		if (this.timer) clearInterval(this.timer);
		await this.endTerm('stopping');
		await this.lease.stop();
	}

	private async housekeeping(): Promise<void> {
		const storage = this.storage;
		if (!storage || !this.lease.held) return;
		this.forgetIdle(storage);
		await this.adoptOrphans(storage).catch((error: unknown) => {
			this.options.log.warn({ err: error }, 'storage writer: entries of ended terms not taken');
		});
		if (Date.now() - this.claimedAt > RECLAIM_MS) {
			this.claimedAt = Date.now();
			await this.claimPending(storage, RECLAIM_MS).catch((error: unknown) => {
				this.options.log.warn({ err: error }, 'storage writer: pending entries not claimed');
			});
		}
	}

	private beginTerm(): void {
		const storage = this.options.makeStorage();
		this.storage = storage;
		this.consumer = `${this.options.sharedLog.processId}/${randomBytes(4).toString('hex')}`;
		this.leading.set(1);
		this.options.log.info('storage writer: this process writes the shared log to MongoDB');
		const previous = this.ending;
		this.term = (async () => {
			try {
				// the previous term's storage is closed first: its last rows are in MongoDB before
				// this term's storage takes its generations over (and retires them)
				await previous;
				await storage.open();
				await this.ensureGroup();
				this.claimedAt = Date.now();
				await this.claimPending(storage);
				await this.adoptOrphans(storage);
				// the term lasts until the lease says it is lost; while a renewal is late nothing new
				// is read (the renewal may still come, or the loss: either ends the wait)
				while (this.storage === storage) {
					if (!this.lease.held) {
						await sleep(RETRY_READ_MS);
						continue;
					}
					const started = performance.now();
					let full = false;
					try {
						full = await this.readBatch(storage);
					} catch (error) {
						// a read that failed (Redis restarting, a connection reset) is tried again;
						// the term ends only with the lease
						this.options.log.warn({ err: error }, 'storage writer: reading the shared log failed');
						await sleep(RETRY_READ_MS);
						continue;
					}
					const wait = this.readIntervalMs - (performance.now() - started);
					if (!full && wait > 0) await sleep(wait);
				}
			} catch (error) {
				if (this.storage === storage) {
					this.options.log.error({ err: error }, 'storage writer failed; giving the role up');
					void this.endTerm('failed', { awaitTerm: false }).then(() => this.lease.giveUp());
				}
			}
		})();
	}

	private async endTerm(why: string, how: { awaitTerm?: boolean } = {}): Promise<void> {
		const storage = this.storage;
		if (!storage) return;
		this.storage = null;
		const term = this.term;
		this.term = null;
		this.leading.set(0);
		this.options.log.warn({ why }, 'storage writer: this process stops writing the shared log');
		const ending = (async () => {
			await storage.close().catch((error: unknown) => {
				this.options.log.error({ err: error }, 'storage writer: final flush failed');
			});
			this.flushAcks();
			this.lastWrite.clear();
		})();
		this.ending = ending;
		await ending;
		if (how.awaitTerm !== false) await term;
	}

	private async ensureGroup(): Promise<void> {
		const { stream, group } = this.options.sharedLog.keys;
		try {
			await this.options.link.command.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
		} catch (error) {
			if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
		}
	}

	/** Entries an earlier writer read but did not store (it died or stepped down). */
	private async claimPending(storage: MongoPersistence, minIdleMs = 0): Promise<void> {
		const { stream, group } = this.options.sharedLog.keys;
		let cursor = '0-0';
		do {
			const reply = (await this.options.link.command.callBuffer(
				'XAUTOCLAIM',
				stream,
				group,
				this.consumer,
				minIdleMs,
				cursor,
				'COUNT',
				this.batch
			)) as unknown[];
			cursor = String(reply[0]);
			this.write(storage, parseEntries(reply[1]));
		} while (cursor !== '0-0' && this.storage === storage);
	}

	/**
	 * Takes over the entries still pending under other consumers (ended terms, here or in other
	 * processes: only the lease holder reads) and removes those consumers once they hold none.
	 */
	private async adoptOrphans(storage: MongoPersistence): Promise<void> {
		const { stream, group } = this.options.sharedLog.keys;
		const redis = this.options.link.command;
		const consumers = (await redis.xinfo('CONSUMERS', stream, group)) as unknown[][];
		for (const fields of consumers) {
			const info = new Map<string, unknown>();
			for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1]);
			const name = String(info.get('name'));
			if (name === this.consumer || this.storage !== storage) continue;
			if (Number(info.get('pending')) === 0) {
				await redis.eval(DELETE_IF_EMPTY, 1, stream, group, name);
				continue;
			}
			const pending = (await redis.xpending(
				stream,
				group,
				'-',
				'+',
				this.batch,
				name
			)) as unknown[][];
			const ids = pending.map((entry) => String(entry[0]));
			if (ids.length === 0) continue;
			const entries = parseEntries(
				await redis.callBuffer('XCLAIM', stream, group, this.consumer, 0, ...ids)
			);
			// an id pending without its entry was deleted, which happens only once it is stored
			const found = new Set(entries.map((entry) => entry.id));
			const gone = ids.filter((id) => !found.has(id));
			if (gone.length > 0) await redis.xack(stream, group, ...gone);
			this.write(storage, entries);
		}
	}

	/** Reads and stores the entries that came since the last read; true if it took a full batch. */
	private async readBatch(storage: MongoPersistence): Promise<boolean> {
		const { stream, group } = this.options.sharedLog.keys;
		let reply: unknown;
		try {
			reply = await this.options.link.blocking.xreadgroupBuffer(
				'GROUP',
				group,
				this.consumer,
				'COUNT',
				this.batch,
				'BLOCK',
				1_000,
				'STREAMS',
				stream,
				'>'
			);
		} catch (error) {
			// the stream or its group is gone (a Redis that lost its data): made again
			if (String((error as Error).message).includes('NOGROUP')) {
				await this.ensureGroup();
				return false;
			}
			throw error;
		}
		if (!Array.isArray(reply)) return false;
		// the term ended while the read waited: what it brought stays pending for the next writer
		if (this.storage !== storage) return false;
		let read = 0;
		for (const [, raw] of reply as Array<[unknown, unknown]>) {
			const entries = parseEntries(raw);
			read += entries.length;
			this.write(storage, entries);
		}
		return read >= this.batch;
	}

	private write(storage: MongoPersistence, entries: LogEntry[]): void {
		const now = Date.now();
		for (const entry of entries) {
			this.lastWrite.set(entry.name, now);
			storage.store(entry.name, entry.update).then(
				() => {
					this.stored.inc();
					this.toAck.push(entry.id);
					const seq = storage.storedSeq(entry.name);
					if (seq !== null)
						this.tails.set(entry.name, Math.max(seq, this.tails.get(entry.name) ?? 0));
					this.scheduleAcks();
				},
				(error: unknown) => {
					// stays pending in the stream; the next writer (or this one's next term) takes it
					this.options.log.warn({ err: error, doc: entry.name }, 'shared log entry not stored');
				}
			);
		}
	}

	private scheduleAcks(): void {
		if (this.ackScheduled) return;
		this.ackScheduled = true;
		setImmediate(() => this.flushAcks());
	}

	private flushAcks(): void {
		this.ackScheduled = false;
		if (this.toAck.length === 0) return;
		const ids = this.toAck.splice(0);
		const { stream, group, tailPrefix } = this.options.sharedLog.keys;
		// the tails go with the deletes: a load that no longer finds an entry in the stream finds
		// a tail that covers its row (or none, and reads the whole log)
		const batch = this.options.link.command
			.multi()
			.xack(stream, group, ...ids)
			.xdel(stream, ...ids);
		for (const [name, seq] of this.tails) batch.set(tailPrefix + name, seq, 'EX', TAIL_TTL_S);
		this.tails.clear();
		batch.exec().catch((error: unknown) => {
			this.options.log.warn({ err: error }, 'storage writer: acknowledgements not sent');
		});
	}

	/** Documents not written for a while: flushed, compacted and forgotten (bounded memory). */
	private forgetIdle(storage: MongoPersistence): void {
		const before = Date.now() - this.idleMs;
		for (const [name, at] of this.lastWrite) {
			if (at > before) continue;
			this.lastWrite.delete(name);
			storage.unload(name).catch((error: unknown) => {
				this.options.log.warn(
					{ err: error, doc: name },
					'storage writer: idle document not compacted'
				);
			});
		}
	}
}
