// What processes sharing documents exchange through Redis (docs/sync-server.md, "Several
// processes"):
//
// - the shared log, one stream (`<prefix>log`): every update any process accepts is appended
//   here; the storage writer (storage-writer.ts) moves entries into MongoDB and deletes each one
//   once it is there. So an update is durable once the stream has it, and what MongoDB does not
//   have yet is always in the stream;
// - one channel per document (`<prefix>doc:<name>`): the same updates, and awareness, for the
//   processes that hold the document.
// An update goes to both in one MULTI: a process that subscribes to a document's channel and then
// reads the stream and MongoDB, in that order, misses nothing.
import type { Redis } from 'ioredis';

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

/** @internal for tests: shared-log.test.ts */
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

export class SharedLog {
	readonly keys: SharedLogKeys;

	constructor(
		private readonly redis: Redis,
		readonly processId: string,
		prefix: string
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

	/** Appends an accepted update and tells the processes holding the document; resolves once Redis has both. */
	async append(name: string, update: Uint8Array): Promise<void> {
		const results = await this.redis
			.multi()
			.xadd(
				this.keys.stream,
				'*',
				'd',
				name,
				'u',
				Buffer.from(update.buffer, update.byteOffset, update.length)
			)
			.publish(this.channel(name), encodeMessage(MESSAGE_UPDATE, this.processId, update))
			.exec();
		const failed = results?.find(([error]) => error !== null);
		if (!results) throw new Error('redis discarded the append');
		if (failed) throw failed[0];
	}

	/** Tells the processes holding the document of an awareness change (not kept anywhere). */
	async publishAwareness(name: string, update: Uint8Array): Promise<void> {
		await this.redis.publish(
			this.channel(name),
			encodeMessage(MESSAGE_AWARENESS, this.processId, update)
		);
	}

	/** The document's updates still in the stream (not in MongoDB yet, or just moved there). */
	async pending(name: string): Promise<Uint8Array[]> {
		const updates: Uint8Array[] = [];
		let start = '-';
		for (;;) {
			const raw = await this.redis.xrangeBuffer(this.keys.stream, start, '+', 'COUNT', 1000);
			const entries = parseEntries(raw);
			for (const entry of entries) if (entry.name === name) updates.push(entry.update);
			if (raw.length < 1000) return updates;
			start = `(${String(raw.at(-1)![0])}`;
		}
	}

	/**
	 * How far the document's log in MongoDB goes (the storage writer records it as it deletes the
	 * entries it stored), or null when unknown (never recorded, or expired). Read after `pending`:
	 * a row written later holds only updates that were still in the stream then.
	 */
	async tail(name: string): Promise<number | null> {
		const value = await this.redis.get(this.keys.tailPrefix + name);
		const seq = value === null ? NaN : Number(value);
		return Number.isSafeInteger(seq) ? seq : null;
	}

	/** Entries in the stream (not in MongoDB yet): for metrics and tests. */
	backlog(): Promise<number> {
		return this.redis.xlen(this.keys.stream);
	}
}
