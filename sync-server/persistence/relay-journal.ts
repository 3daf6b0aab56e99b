// A local journal of accepted updates that are not in MongoDB yet. With relay on accept (the
// default) an update reaches the rest of the room before its group commit; if the process died in
// between, other clients would hold an update the database never got, and the server refuses to
// take one user's writes re-sent by another. So every update is appended here, synchronously,
// before it is relayed, and the next start stores whatever the journal still holds before it
// serves any document.
//
// The journal survives a crash of the process (the kernel has the bytes), not of the machine: it
// is not fsynced, which would put a disk flush into every fan-out again. Files are segments
// `journal-<n>.log` of frames `[u32 length][u32 crc32][u16 name length][name][update]`; a torn
// last frame (a crash in the middle of a write) fails its checksum and ends the replay of that
// segment. A segment is deleted once every update in it is in MongoDB; the current one is
// emptied when that is true of all it holds, at most once per `emptyEveryMs`: where updates are
// stored within a millisecond (the shared log) emptying it at every store would be a truncate per
// update. So a crash may leave up to that much of stored updates in the journal, which the next
// start stores again: an update stored twice is the same update.
import {
	closeSync,
	ftruncateSync,
	mkdirSync,
	openSync,
	readdirSync,
	readFileSync,
	rmdirSync,
	rmSync,
	writeSync
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Db } from 'mongodb';
import type { Logger } from '../../src/lib/shared/log.ts';

const SEGMENT = /^journal-(\d+)\.log$/;
const HEADER_BYTES = 8;
const MAX_NAME_BYTES = 0xffff;

/**
 * The database's storage identity, created on first use. A journal lives in a folder named by it
 * (`<SYNC_JOURNAL_DIR>/<identity>`), so that what a process journaled is only ever replayed into
 * the database it was accepted for: never into another one that happens to have the same URI,
 * such as a database dropped and created again.
 */
export async function storageIdentity(db: Db): Promise<string> {
	const state = db.collection<{ _id: string; identity: string; createdAt: Date }>('sync_storage');
	const found = await state.findOne({ _id: 'identity' });
	if (found) return found.identity;
	try {
		await state.insertOne({ _id: 'identity', identity: randomUUID(), createdAt: new Date() });
	} catch (error) {
		if ((error as { code?: number }).code !== 11000) throw error;
	}
	const created = await state.findOne({ _id: 'identity' });
	if (!created) throw new Error('could not create the storage identity');
	return created.identity;
}

export interface JournalRecord {
	name: string;
	update: Uint8Array;
}

export interface JournalOptions {
	dir: string;
	/** A segment that grows past this is closed and a new one started (default 4 MiB). */
	segmentBytes?: number;
	/** The current segment is emptied at most this often, ms (default 100; 0: at every chance). */
	emptyEveryMs?: number;
}

interface Segment {
	seq: number;
	path: string;
	fd: number;
	bytes: number;
	/** Appended updates whose store has not completed. */
	outstanding: number;
}

/**
 * Encodes one record as a frame (exported for tests that damage a journal on purpose).
 * @internal for tests: relay-journal.test.ts
 */
export function encodeFrame(name: string, update: Uint8Array): Buffer {
	const nameLength = Buffer.byteLength(name, 'utf8');
	if (nameLength > MAX_NAME_BYTES) throw new Error('document name too long for the journal');
	// one buffer, written in place (this runs for every accepted update)
	const frame = Buffer.allocUnsafe(HEADER_BYTES + 2 + nameLength + update.length);
	const payload = frame.subarray(HEADER_BYTES);
	payload.writeUInt16LE(nameLength, 0);
	payload.write(name, 2, 'utf8');
	payload.set(update, 2 + nameLength);
	frame.writeUInt32LE(payload.length, 0);
	frame.writeUInt32LE(crc32(payload), 4);
	return frame;
}

/**
 * The records of one segment, up to the first frame that is cut short or damaged.
 * @internal for tests: relay-journal.test.ts
 */
export function readSegment(bytes: Buffer): { records: JournalRecord[]; damaged: boolean } {
	const records: JournalRecord[] = [];
	let offset = 0;
	while (offset < bytes.length) {
		if (bytes.length - offset < HEADER_BYTES) return { records, damaged: true };
		const length = bytes.readUInt32LE(offset);
		const checksum = bytes.readUInt32LE(offset + 4);
		const start = offset + HEADER_BYTES;
		if (length < 2 || bytes.length - start < length) return { records, damaged: true };
		const payload = bytes.subarray(start, start + length);
		if (crc32(payload) !== checksum) return { records, damaged: true };
		const nameLength = payload.readUInt16LE(0);
		if (2 + nameLength > length) return { records, damaged: true };
		records.push({
			name: payload.toString('utf8', 2, 2 + nameLength),
			update: new Uint8Array(payload.subarray(2 + nameLength))
		});
		offset = start + length;
	}
	return { records, damaged: false };
}

export class RelayJournal {
	private readonly dir: string;
	private readonly segmentBytes: number;
	private readonly emptyEveryMs: number;
	/** Set once `emptyEveryMs` has passed since the current segment was last emptied. */
	private emptyDue = false;
	private emptyTimer: NodeJS.Timeout | null = null;
	private readonly sealed = new Map<number, Segment>();
	private current: Segment | null = null;
	private nextSeq: number;
	/** Segments found at open; deleted by `replayed()` once their records are stored. */
	private readonly found: string[];
	private closed = false;

	constructor(options: JournalOptions) {
		this.dir = options.dir;
		this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
		this.emptyEveryMs = options.emptyEveryMs ?? 100;
		mkdirSync(this.dir, { recursive: true, mode: 0o700 });
		const seqs = readdirSync(this.dir)
			.map((file) => SEGMENT.exec(file))
			.filter((match) => match !== null)
			.map((match) => Number(match[1]))
			.sort((a, b) => a - b);
		this.found = seqs.map((seq) => this.pathOf(seq));
		this.nextSeq = (seqs.at(-1) ?? 0) + 1;
	}

	/** What an earlier process left, in the order it was written; `damaged` counts torn segments. */
	leftovers(): { records: JournalRecord[]; damaged: number; segments: number } {
		const records: JournalRecord[] = [];
		let damaged = 0;
		for (const path of this.found) {
			const segment = readSegment(readFileSync(path));
			records.push(...segment.records);
			if (segment.damaged) damaged++;
		}
		return { records, damaged, segments: this.found.length };
	}

	/** The leftovers are stored in MongoDB now: their segments go. */
	replayed(): void {
		for (const path of this.found.splice(0)) rmSync(path, { force: true });
	}

	/**
	 * Stores what an earlier process left (updates it had accepted, and maybe relayed, but not
	 * stored) through `store`, then deletes it. A failed store rejects and keeps it all.
	 */
	async replay(
		store: (name: string, update: Uint8Array) => Promise<void>,
		log: Logger
	): Promise<void> {
		const { records, damaged, segments } = this.leftovers();
		if (segments === 0) return;
		if (damaged > 0) {
			log.warn({ damaged }, 'journal: a segment ends in a torn frame (crash mid-write)');
		}
		await Promise.all(records.map((record) => store(record.name, record.update)));
		this.replayed();
		log.info({ updates: records.length, segments }, 'journal replayed into the log');
	}

	/**
	 * Appends an update (synchronously: it is on its way to disk when this returns). Returns a
	 * function to call once the update is in MongoDB.
	 */
	append(name: string, update: Uint8Array): () => void {
		if (this.closed) throw new Error('journal is closed');
		const frame = encodeFrame(name, update);
		let segment = this.current;
		if (segment === null || segment.bytes + frame.length > this.segmentBytes) {
			segment = this.startSegment();
		}
		writeSync(segment.fd, frame);
		segment.bytes += frame.length;
		segment.outstanding++;
		const owner = segment;
		let done = false;
		return () => {
			if (done) return;
			done = true;
			owner.outstanding--;
			if (owner.outstanding === 0) this.settle(owner);
		};
	}

	/**
	 * After a graceful shutdown stored everything: remove the segments whose updates are all in
	 * MongoDB, keep the rest for the next start.
	 */
	close(): void {
		if (this.closed) return;
		this.closed = true;
		if (this.emptyTimer) clearTimeout(this.emptyTimer);
		for (const segment of [...this.sealed.values(), ...(this.current ? [this.current] : [])]) {
			closeSync(segment.fd);
			if (segment.outstanding === 0) rmSync(segment.path, { force: true });
		}
		this.sealed.clear();
		this.current = null;
		try {
			rmdirSync(this.dir); // only when nothing is left in it
		} catch {
			/* segments kept for the next start, or already gone */
		}
	}

	private settle(segment: Segment): void {
		if (this.closed) return;
		if (segment === this.current) {
			// everything in it is stored: start it over rather than let it grow, now if it is time
			if (this.emptyDue || this.emptyEveryMs === 0) this.emptyCurrent();
			else this.emptyTimer ??= setTimeout(() => this.emptyWhenDue(), this.emptyEveryMs).unref();
			return;
		}
		closeSync(segment.fd);
		rmSync(segment.path, { force: true });
		this.sealed.delete(segment.seq);
	}

	private emptyWhenDue(): void {
		this.emptyTimer = null;
		this.emptyDue = true;
		// (with updates not stored yet, the next store that leaves none empties it)
		this.emptyCurrent();
	}

	private emptyCurrent(): void {
		const segment = this.current;
		if (this.closed || segment === null || segment.outstanding > 0) return;
		this.emptyDue = false;
		if (segment.bytes === 0) return;
		ftruncateSync(segment.fd, 0);
		segment.bytes = 0;
	}

	private startSegment(): Segment {
		const previous = this.current;
		if (previous) {
			if (previous.outstanding === 0) {
				closeSync(previous.fd);
				rmSync(previous.path, { force: true });
			} else this.sealed.set(previous.seq, previous);
		}
		const seq = this.nextSeq++;
		const path = this.pathOf(seq);
		const segment: Segment = {
			seq,
			path,
			fd: openSync(path, 'a', 0o600),
			bytes: 0,
			outstanding: 0
		};
		this.current = segment;
		return segment;
	}

	private pathOf(seq: number): string {
		return join(this.dir, `journal-${String(seq).padStart(8, '0')}.log`);
	}
}
