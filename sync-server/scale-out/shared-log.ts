// What processes sharing documents exchange through Redis (docs/sync-server.md, "Several
// processes"):
//
// - the shared log, one stream (`<prefix>log`): every update any process accepts is appended
//   here; the storage writer (storage-writer.ts) moves entries into MongoDB and deletes each one
//   once it is there. So an update is durable once the stream has it, and what MongoDB does not
//   have yet is always in the stream;
// - one channel per document (`<prefix>doc:<name>`): the same updates, and awareness, for the
//   processes that hold the document.
// An update goes to the stream, then to the channel, on one connection (so in that order): a process
// that subscribes to a document's channel and then reads the stream and MongoDB, in that order,
// misses nothing (an update published before it subscribed was appended before it read).
import type { Redis } from 'ioredis';
import type { Logger } from '../../src/lib/shared/log.ts';

export const MESSAGE_UPDATE = 0;
/** @internal for tests: shared-log.test.ts */
export const MESSAGE_AWARENESS = 1;
type MessageKind = typeof MESSAGE_UPDATE | typeof MESSAGE_AWARENESS;

export interface SharedLogKeys {
	stream: string;
	group: string;
	writerLease: string;
	channelPrefix: string;
	/** Per document: the highest sequence number of its log in MongoDB (see `tail`). */
	tailPrefix: string;
}

/** @internal for tests and the benchmark: shared-log.test.ts, bench/topology.ts */
export function sharedLogKeys(prefix: string): SharedLogKeys {
	return {
		stream: `${prefix}log`,
		group: 'storage',
		writerLease: `${prefix}storage-writer`,
		channelPrefix: `${prefix}doc:`,
		tailPrefix: `${prefix}tail:`
	};
}

export interface ChannelMessage {
	kind: MessageKind;
	/** The process that sent it (a process ignores its own). */
	from: string;
	payload: Uint8Array;
}

/**
 * `[kind u8][sender length u8][sender][payload]`
 * @internal for tests: shared-log.test.ts
 */
export function encodeMessage(kind: MessageKind, from: string, payload: Uint8Array): Buffer {
	const sender = Buffer.from(from, 'utf8');
	if (sender.length > 255) throw new Error('process id too long');
	const message = Buffer.allocUnsafe(2 + sender.length + payload.length);
	message[0] = kind;
	message[1] = sender.length;
	sender.copy(message, 2);
	message.set(payload, 2 + sender.length);
	return message;
}

/** The message, or null for one this version cannot read. */
export function decodeMessage(message: Buffer): ChannelMessage | null {
	if (message.length < 2) return null;
	const kind = message[0];
	if (kind !== MESSAGE_UPDATE && kind !== MESSAGE_AWARENESS) return null;
	const end = 2 + message[1]!;
	if (message.length < end) return null;
	return {
		kind,
		from: message.toString('utf8', 2, end),
		payload: new Uint8Array(message.buffer, message.byteOffset + end, message.length - end)
	};
}

export interface LogEntry {
	id: string;
	name: string;
	update: Uint8Array;
}

/** Entries as `XRANGE`/`XREADGROUP` return them with Buffer replies; malformed ones are skipped. */
export function parseEntries(raw: unknown): LogEntry[] {
	const entries: LogEntry[] = [];
	if (!Array.isArray(raw)) return entries;
	for (const item of raw) {
		if (!Array.isArray(item) || item.length < 2 || !Array.isArray(item[1])) continue;
		const id = String(item[0]);
		const fields = item[1] as Buffer[];
		let name: string | null = null;
		let update: Uint8Array | null = null;
		for (let i = 0; i + 1 < fields.length; i += 2) {
			const field = String(fields[i]);
			if (field === 'd') name = String(fields[i + 1]);
			else if (field === 'u') update = new Uint8Array(fields[i + 1]!);
		}
		if (name !== null && update !== null) entries.push({ id, name, update });
	}
	return entries;
}

/** Stream entries read at once by a load. */
const PAGE = 1000;
/** How long a document's recorded tail is kept without a write (then its loads read the whole log). */
export const TAIL_TTL_S = 24 * 3600;

function parseTail(value: string | null): number | null {
	const seq = value === null ? NaN : Number(value);
	return Number.isSafeInteger(seq) ? seq : null;
}

/** Waits before an append that failed is sent again (doubling up to `RETRY_MAX_MS`). */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2_000;

interface QueuedAppend extends PromiseWithResolvers<void> {
	name: string;
	update: Uint8Array;
}

export class SharedLog {
	readonly keys: SharedLogKeys;
	private readonly queued: QueuedAppend[] = [];
	private retryMs = RETRY_FIRST_MS;

	constructor(
		private readonly redis: Redis,
		readonly processId: string,
		prefix: string,
		private readonly log?: Logger
	) {
		this.keys = sharedLogKeys(prefix);
	}

	channel(name: string): string {
		return this.keys.channelPrefix + name;
	}

	/** The document a channel belongs to, or null. */
	documentOf(channel: string): string | null {
		return channel.startsWith(this.keys.channelPrefix)
			? channel.slice(this.keys.channelPrefix.length)
			: null;
	}

	/**
	 * Appends an accepted update and tells the processes holding the document; resolves once Redis
	 * has both. The appends of one callback (a message, a batch of projections) go to Redis in one
	 * pipeline: one write and one round trip for all of them. An append Redis refuses (or whose
	 * outcome is unknown) is sent again until it is taken: an update appended twice changes
	 * nothing, one never appended would be lost.
	 */
	append(name: string, update: Uint8Array): Promise<void> {
		const queued = { name, update, ...Promise.withResolvers<void>() };
		this.enqueue([queued]);
		return queued.promise;
	}

	private enqueue(appends: QueuedAppend[]): void {
		// sent once the current callback and its promise continuations are done, not after the
		// whole poll phase: the sender hears its update back only once Redis has it
		const first = this.queued.length === 0;
		this.queued.push(...appends);
		if (first) process.nextTick(() => this.sendAppends());
	}

	private sendAppends(): void {
		const batch = this.queued.splice(0);
		// not a MULTI: a transaction cut by a lost connection can come back as an EXEC without its
		// MULTI, refused though Redis ran it; the order on the connection is all a load needs
		const pipeline = this.redis.pipeline();
		for (const { name, update } of batch) {
			pipeline
				.xadd(
					this.keys.stream,
					'*',
					'd',
					name,
					'u',
					Buffer.from(update.buffer, update.byteOffset, update.length)
				)
				.publish(this.channel(name), encodeMessage(MESSAGE_UPDATE, this.processId, update));
		}
		pipeline.exec().then(
			(results) => {
				const failed: QueuedAppend[] = [];
				let firstError: unknown = null;
				batch.forEach((queued, i) => {
					// the XADD's reply and the PUBLISH's: an error, or no reply at all, fails the append
					const replies = [results?.[2 * i], results?.[2 * i + 1]];
					const error = replies
						.map((reply) => (reply ? reply[0] : new Error('no reply')))
						.find((e) => e != null);
					if (error == null) return queued.resolve();
					failed.push(queued);
					firstError ??= error;
				});
				this.retry(failed, firstError);
			},
			(error: unknown) => this.retry(batch, error)
		);
	}

	private retry(appends: QueuedAppend[], error: unknown): void {
		if (appends.length === 0) {
			this.retryMs = RETRY_FIRST_MS;
			return;
		}
		this.log?.warn(
			{ err: error, appends: appends.length, retryMs: this.retryMs },
			'appends to the shared log failed; sending them again'
		);
		setTimeout(() => this.enqueue(appends), this.retryMs).unref();
		this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
	}

	/** Tells the processes holding the document of an awareness change (not kept anywhere). */
	async publishAwareness(name: string, update: Uint8Array): Promise<void> {
		await this.redis.publish(
			this.channel(name),
			encodeMessage(MESSAGE_AWARENESS, this.processId, update)
		);
	}

	/**
	 * What a load needs from Redis: the document's updates still in the stream (not in MongoDB
	 * yet, or just moved there), then how far its log in MongoDB goes (the storage writer records
	 * it as it deletes the entries it stored; null when unknown: never recorded, or expired). The
	 * tail is read after the last page of the stream, in the same round trip as that page: a row
	 * written later holds only updates that were still in the stream then.
	 */
	async unstored(name: string): Promise<{ updates: Uint8Array[]; tail: number | null }> {
		const updates: Uint8Array[] = [];
		let start = '-';
		for (;;) {
			const [raw, tail] = await Promise.all([
				this.redis.xrangeBuffer(this.keys.stream, start, '+', 'COUNT', PAGE),
				this.redis.get(this.keys.tailPrefix + name)
			]);
			for (const entry of parseEntries(raw)) if (entry.name === name) updates.push(entry.update);
			if (raw.length < PAGE) return { updates, tail: parseTail(tail) };
			start = `(${String(raw.at(-1)![0])}`;
		}
	}

	/**
	 * Records how far the document's log in MongoDB goes, as a load found it, unless the storage
	 * writer recorded it already (its record is never older than what a load can see): later
	 * loads then read the snapshot alone when it has every row.
	 */
	async recordTail(name: string, seq: number): Promise<void> {
		await this.redis.set(this.keys.tailPrefix + name, seq, 'EX', TAIL_TTL_S, 'NX');
	}

	/** Entries in the stream (not in MongoDB yet): for metrics and tests. */
	backlog(): Promise<number> {
		return this.redis.xlen(this.keys.stream);
	}
}
