// Yjs storage in MongoDB: per document a compacted snapshot (`ydoc_snapshots`) plus an
// append-only log of the updates accepted since (`ydoc_logs`, one MongoDB document per Y.Doc whose
// entries are pushed to). Every read and write is by `_id`. Flushes are group commits: the first
// update to arrive while no write is in flight is written at once, and whatever arrives during a
// write goes into the next one (one bulkWrite for every document that has something pending).
// Compaction merges the log into the snapshot in a crash-safe order: write the new snapshot first,
// then remove the entries it merged.
import { Binary } from 'mongodb';
import { Counter, type Registry } from 'prom-client';
import * as Y from 'yjs';
import {
	isDuplicateKeyError,
	type Collections,
	type DocLogEntry
} from '../../src/lib/server/db.ts';
import type { Logger } from '../../src/lib/server/log.ts';
import { backoffDelay, sleep } from './retry.ts';

export interface PersistenceOptions {
	/**
	 * Extra time accepted updates wait to be batched before a write. 0 (the default) is a pure
	 * group commit: no fixed wait, batches form only while a write is in flight.
	 */
	persistDelayMs: number;
	/** Log entries since the snapshot that trigger a background compaction. */
	compactThreshold: number;
	/** Attempts to flush a document before giving up on it (unload, shutdown). */
	maxFlushAttempts: number;
	log: Logger;
	registry: Registry;
}

interface Waiter {
	resolve(): void;
	reject(error: Error): void;
}

interface DocLog {
	name: string;
	/** Highest sequence number known to be in the database (log or snapshot). */
	lastSeq: number;
	/** Sequence numbers up to this are merged into the snapshot. */
	mergedSeq: number;
	/** False until lastSeq has been read from the database. */
	seqKnown: boolean;
	/** Bytes in the log since the snapshot (an estimate after a restart: counted from the load). */
	logBytes: number;
	pending: Uint8Array[];
	waiters: Waiter[];
	failures: number;
	retryAt: number;
	compacting: Promise<void> | null;
}

/** A log this large is compacted whatever its entry count (MongoDB documents stop at 16 MiB). */
const COMPACT_LOG_BYTES = 2 * 1024 * 1024;

const bytesOf = (binary: Binary) => new Uint8Array(binary.value());

export class MongoPersistence {
	private readonly logs = new Map<string, DocLog>();
	private flushTimer: NodeJS.Timeout | null = null;
	/** A scheduled flush is running; what arrives meanwhile waits for the next one. */
	private flushing = false;
	/** Something asked for the next flush to start without the batching delay. */
	private urgent = false;
	/** Flushes run one at a time, so sequence numbers are assigned in order. */
	private flushChain: Promise<void> = Promise.resolve();
	private compactionChain: Promise<void> = Promise.resolve();
	private readonly compactionQueued = new Set<string>();
	private closed = false;
	private readonly metrics;

	constructor(
		private readonly collections: Collections,
		private readonly options: PersistenceOptions
	) {
		const registers = [options.registry];
		this.metrics = {
			logWrites: new Counter({
				name: 'sync_log_entries_written_total',
				help: 'Update log entries written (one per document per flush)',
				registers
			}),
			flushes: new Counter({
				name: 'sync_flushes_total',
				help: 'Writes of the update log (each one bulkWrite for every document with pending updates)',
				registers
			}),
			storeFailures: new Counter({
				name: 'sync_store_failures_total',
				help: 'Failed attempts to write a document update (retried with backoff)',
				registers
			}),
			dropped: new Counter({
				name: 'sync_store_dropped_updates_total',
				help: 'Updates given up on after repeated store failures (clients still hold them)',
				registers
			}),
			compactions: new Counter({
				name: 'sync_compactions_total',
				help: 'Completed compactions of a document log into its snapshot',
				registers
			}),
			compactionFailures: new Counter({
				name: 'sync_compaction_failures_total',
				help: 'Compactions that failed (the log is kept; retried later)',
				registers
			})
		};
	}

	/** Snapshot + the log after it, merged; null for a document never stored. Throws on failure. */
	async load(name: string): Promise<Uint8Array | null> {
		const [snapshot, logDoc] = await Promise.all([
			this.collections.docSnapshots.findOne({ _id: name }),
			this.collections.docLogs.findOne({ _id: name })
		]);
		const mergedSeq = snapshot?.mergedSeq ?? 0;
		const entries = liveEntries(logDoc?.entries, mergedSeq);
		const lastSeq = Math.max(mergedSeq, logDoc?.lastSeq ?? 0, entries.at(-1)?.seq ?? 0);
		const logBytes = entries.reduce((sum, entry) => sum + entry.update.length(), 0);
		const existing = this.logs.get(name);
		if (existing) {
			existing.lastSeq = Math.max(existing.lastSeq, lastSeq);
			existing.mergedSeq = mergedSeq;
			existing.seqKnown = true;
			existing.logBytes = logBytes;
		} else {
			this.logs.set(name, this.newLog(name, { lastSeq, mergedSeq, seqKnown: true, logBytes }));
		}
		if (entries.length >= this.options.compactThreshold || logBytes >= COMPACT_LOG_BYTES) {
			this.scheduleCompaction(name);
		}
		const parts = [
			...(snapshot ? [bytesOf(snapshot.update)] : []),
			...entries.map((e) => bytesOf(e.update))
		];
		if (parts.length === 0) return null;
		return parts.length === 1 ? parts[0]! : Y.mergeUpdates(parts);
	}

	/** Queues an update; resolves once it is durable (the next group commit). */
	store(name: string, update: Uint8Array): Promise<void> {
		if (this.closed) return Promise.reject(new Error('persistence is closed'));
		let log = this.logs.get(name);
		if (!log) {
			log = this.newLog(name, { lastSeq: 0, mergedSeq: 0, seqKnown: false, logBytes: 0 });
			this.logs.set(name, log);
		}
		const target = log;
		return new Promise<void>((resolve, reject) => {
			target.pending.push(update);
			target.waiters.push({ resolve, reject });
			this.scheduleFlush(this.options.persistDelayMs);
		});
	}

	/** Writes what is pending without the batching delay (server writes). */
	flushSoon(): void {
		if (this.closed) return;
		this.urgent = true;
		if (this.flushing) return; // the write in flight starts the next one when it settles
		if (this.flushTimer) clearTimeout(this.flushTimer);
		this.flushTimer = null;
		this.scheduleFlush(0);
	}

	/** Flushes one document (retrying), compacts it, and forgets it. Used when it is unloaded. */
	async unload(name: string): Promise<void> {
		const log = this.logs.get(name);
		if (!log) return;
		try {
			await this.drain([log]);
			await log.compacting;
			if (log.lastSeq > log.mergedSeq && log.pending.length === 0) await this.compactNow(log);
		} finally {
			if (log.pending.length === 0 && this.logs.get(name) === log) this.logs.delete(name);
		}
	}

	/** Flushes everything (retrying a bounded number of times) and stops. For graceful shutdown. */
	async close(): Promise<void> {
		if (this.flushTimer) clearTimeout(this.flushTimer);
		this.flushTimer = null;
		await this.drain([...this.logs.values()]);
		this.closed = true;
		await this.compactionChain;
	}

	/** Runs a compaction of one document now (tests and tools; normally it runs in the background). */
	async compact(name: string): Promise<void> {
		const log = this.logs.get(name);
		if (log) await this.compactNow(log);
	}

	// ---- flushing ------------------------------------------------------------------------------

	private newLog(
		name: string,
		state: Pick<DocLog, 'lastSeq' | 'mergedSeq' | 'seqKnown' | 'logBytes'>
	): DocLog {
		return { name, ...state, pending: [], waiters: [], failures: 0, retryAt: 0, compacting: null };
	}

	private scheduleFlush(delayMs: number): void {
		if (this.flushTimer || this.flushing || this.closed) return;
		this.flushTimer = setTimeout(() => {
			this.flushTimer = null;
			this.flushing = true;
			this.urgent = false;
			void this.runFlush(false).finally(() => {
				this.flushing = false;
				this.rescheduleIfPending();
			});
		}, delayMs);
	}

	private rescheduleIfPending(): void {
		let soonest = Infinity;
		for (const log of this.logs.values()) {
			if (log.pending.length > 0) soonest = Math.min(soonest, log.retryAt);
		}
		if (soonest === Infinity) return;
		const batching = this.urgent ? 0 : this.options.persistDelayMs;
		this.scheduleFlush(Math.max(batching, soonest - Date.now()));
	}

	private runFlush(force: boolean, only?: Set<DocLog>): Promise<void> {
		const run = this.flushChain.then(() => this.flushOnce(force, only));
		this.flushChain = run.catch(() => undefined);
		return run;
	}

	/** Appends every due document's pending updates as one log entry each, in one bulkWrite. */
	private async flushOnce(force: boolean, only?: Set<DocLog>): Promise<void> {
		const now = Date.now();
		const due = [...this.logs.values()].filter(
			(log) => log.pending.length > 0 && (force || log.retryAt <= now) && (!only || only.has(log))
		);
		if (due.length === 0) return;
		const unknown = due.filter((log) => !log.seqKnown);
		if (unknown.length > 0) await Promise.all(unknown.map((log) => this.readLastSeq(log)));
		const batch = due
			.filter((log) => log.seqKnown)
			.map((log) => {
				const updates = log.pending.splice(0);
				const waiters = log.waiters.splice(0);
				const update = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
				return { log, update, waiters, seq: log.lastSeq + 1 };
			});
		if (batch.length === 0) return;
		const at = new Date();
		this.metrics.flushes.inc();
		try {
			// The guard makes a sequence number usable once: a write that finds a higher lastSeq
			// turns into an insert of an existing _id and fails with a duplicate key error.
			await this.collections.docLogs.bulkWrite(
				batch.map(({ log, update, seq }) => ({
					updateOne: {
						filter: { _id: log.name, lastSeq: { $lt: seq } },
						update: {
							$push: { entries: { seq, update: new Binary(update), at } },
							$set: { lastSeq: seq, updatedAt: at }
						},
						upsert: true
					}
				})),
				{ ordered: false }
			);
		} catch (error) {
			// Which writes of a failed bulkWrite landed is not reliable (FerretDB 1.24 stops at the
			// first error and reports a wrong index), so every document of the batch re-reads its
			// log position and writes again. An update that did land is then stored twice, which
			// changes nothing: applying a Yjs update twice is a no-op, and compaction merges it away.
			const duplicate = isDuplicateKeyError(error) || hasDuplicateKeyWriteError(error);
			this.options.log.warn(
				{ err: error, docs: batch.length },
				'storing updates failed; will retry'
			);
			for (const { log, update, waiters } of batch) {
				log.pending.unshift(update);
				log.waiters.unshift(...waiters);
				log.seqKnown = false;
				this.metrics.storeFailures.inc();
				log.failures++;
				// another writer or a lost reply: re-read the position and retry at once (backing
				// off only if it keeps happening)
				log.retryAt =
					duplicate && log.failures === 1 ? 0 : Date.now() + backoffDelay(log.failures, 100, 5_000);
			}
			return;
		}
		for (const { log, update, waiters, seq } of batch) {
			log.lastSeq = seq;
			log.logBytes += update.length;
			log.failures = 0;
			log.retryAt = 0;
			this.metrics.logWrites.inc();
			for (const w of waiters) w.resolve();
			if (
				log.lastSeq - log.mergedSeq >= this.options.compactThreshold ||
				log.logBytes >= COMPACT_LOG_BYTES
			) {
				this.scheduleCompaction(log.name);
			}
		}
	}

	private async readLastSeq(log: DocLog): Promise<void> {
		try {
			const [logDoc, snapshot] = await Promise.all([
				this.collections.docLogs.findOne({ _id: log.name }, { projection: { lastSeq: 1 } }),
				this.collections.docSnapshots.findOne({ _id: log.name }, { projection: { mergedSeq: 1 } })
			]);
			log.mergedSeq = snapshot?.mergedSeq ?? 0;
			log.lastSeq = Math.max(log.mergedSeq, logDoc?.lastSeq ?? 0);
			log.seqKnown = true;
		} catch (error) {
			this.metrics.storeFailures.inc();
			log.failures++;
			log.retryAt = Date.now() + backoffDelay(log.failures, 100, 5_000);
			this.options.log.warn({ err: error, doc: log.name }, 'reading the log position failed');
		}
	}

	/**
	 * Flushes the given documents now, retrying with backoff; after `maxFlushAttempts` the rest is
	 * given up (logged and counted; connected clients still hold those updates and re-send them).
	 */
	private async drain(logs: DocLog[]): Promise<void> {
		const targets = new Set(logs);
		for (let attempt = 0; ; attempt++) {
			// a flush in flight holds its batch outside `pending` until it settles
			await this.flushChain;
			const remaining = [...targets].filter((log) => log.pending.length > 0);
			if (remaining.length === 0) return;
			if (attempt >= this.options.maxFlushAttempts) {
				for (const log of remaining) {
					const error = new Error(`could not store ${log.pending.length} update(s) of ${log.name}`);
					this.metrics.dropped.inc(log.pending.length);
					this.options.log.error({ doc: log.name, updates: log.pending.length }, error.message);
					log.pending.splice(0);
					for (const w of log.waiters.splice(0)) w.reject(error);
				}
				return;
			}
			if (attempt > 0) await sleep(backoffDelay(attempt, 100, 2_000));
			await this.runFlush(true, new Set(remaining));
		}
	}

	// ---- compaction ----------------------------------------------------------------------------

	private scheduleCompaction(name: string): void {
		if (this.compactionQueued.has(name) || this.closed) return;
		this.compactionQueued.add(name);
		// one compaction at a time, behind whatever runs now: it is background work
		this.compactionChain = this.compactionChain.then(async () => {
			this.compactionQueued.delete(name);
			const log = this.logs.get(name);
			if (log) await this.compactNow(log);
		});
	}

	private compactNow(log: DocLog): Promise<void> {
		const run = (log.compacting ?? Promise.resolve()).then(() => this.compactOnce(log));
		const settled = run.catch((error: unknown) => {
			this.metrics.compactionFailures.inc();
			this.options.log.warn({ err: error, doc: log.name }, 'compaction failed; log kept');
		});
		log.compacting = settled;
		void settled.finally(() => {
			if (log.compacting === settled) log.compacting = null;
		});
		return settled;
	}

	private async compactOnce(log: DocLog): Promise<void> {
		const upTo = log.lastSeq; // only what is durable
		const [snapshot, logDoc] = await Promise.all([
			this.collections.docSnapshots.findOne({ _id: log.name }),
			this.collections.docLogs.findOne({ _id: log.name })
		]);
		const mergedSeq = snapshot?.mergedSeq ?? 0;
		log.mergedSeq = Math.max(log.mergedSeq, mergedSeq);
		if (upTo <= mergedSeq) return;
		const entries = liveEntries(logDoc?.entries, mergedSeq).filter((e) => e.seq <= upTo);
		const doc = new Y.Doc();
		try {
			Y.transact(doc, () => {
				if (snapshot) Y.applyUpdate(doc, bytesOf(snapshot.update));
				for (const entry of entries) Y.applyUpdate(doc, bytesOf(entry.update));
			});
			const update = Y.encodeStateAsUpdate(doc);
			const stateVector = Y.encodeStateVector(doc);
			// 1. the new snapshot; a crash after this leaves log entries ≤ mergedSeq, which load skips
			await this.collections.docSnapshots.replaceOne(
				{ _id: log.name },
				{
					update: new Binary(update),
					stateVector: new Binary(stateVector),
					mergedSeq: upTo,
					updatedAt: new Date()
				},
				{ upsert: true }
			);
			log.mergedSeq = upTo;
			// 2. only then the log entries it merged
			await this.trimLog(log, upTo);
			this.metrics.compactions.inc();
			this.options.log.debug({ doc: log.name, merged: entries.length, upTo }, 'compacted');
		} finally {
			doc.destroy();
		}
	}

	/**
	 * Removes the log entries up to `upTo`. It runs in the flush chain, so none of our writes to
	 * this log is in flight, and it is guarded by lastSeq, so it never drops an entry it did not
	 * read. (FerretDB 1.24 silently ignores `$pull` with a condition and `$push` with `$slice`,
	 * so the remaining entries are written back instead.) If the guard fails, the merged entries
	 * stay until the next compaction; load skips them.
	 */
	private trimLog(log: DocLog, upTo: number): Promise<void> {
		const run = this.flushChain.then(async () => {
			const logs = this.collections.docLogs;
			const current = await logs.findOne({ _id: log.name });
			if (!current) return;
			const keep = liveEntries(current.entries, upTo);
			await logs.updateOne(
				{ _id: log.name, lastSeq: current.lastSeq },
				{ $set: { entries: keep, updatedAt: new Date() } }
			);
			log.logBytes = keep.reduce((sum, entry) => sum + entry.update.length(), 0);
		});
		this.flushChain = run.catch(() => undefined);
		return run;
	}
}

/** The entries after `mergedSeq`, in sequence order. */
function liveEntries(entries: DocLogEntry[] | undefined, mergedSeq: number): DocLogEntry[] {
	if (entries === undefined) return [];
	if (!Array.isArray(entries)) throw new Error('damaged update log: entries is not an array');
	return entries.filter((entry) => entry.seq > mergedSeq).sort((a, b) => a.seq - b.seq);
}

function hasDuplicateKeyWriteError(error: unknown): boolean {
	const writeErrors = (error as { writeErrors?: unknown })?.writeErrors;
	const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
	return list.some((e) => (e as { code?: unknown })?.code === 11000);
}
