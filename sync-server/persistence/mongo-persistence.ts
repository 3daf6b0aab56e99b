// Yjs storage in MongoDB: per document a compacted snapshot plus an append-only log of the updates
// accepted since. Writes are batched (one insertMany per flush window); compaction merges the log
// into the snapshot in a crash-safe order: write the new snapshot first, then delete what it merged.
import { Binary, MongoBulkWriteError, MongoServerError } from 'mongodb';
import { Counter, type Registry } from 'prom-client';
import * as Y from 'yjs';
import type { Collections, DocUpdateDoc } from '../../src/lib/server/db.ts';
import type { Logger } from '../../src/lib/server/log.ts';
import { backoffDelay, sleep } from './retry.ts';

export interface PersistenceOptions {
	/** How long accepted updates may wait to be batched into one write. */
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
	pending: Uint8Array[];
	waiters: Waiter[];
	failures: number;
	retryAt: number;
	compacting: Promise<void> | null;
}

const DUPLICATE_KEY = 11000;

const bytesOf = (binary: Binary) => new Uint8Array(binary.value());

export class MongoPersistence {
	private readonly logs = new Map<string, DocLog>();
	private flushTimer: NodeJS.Timeout | null = null;
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
		const snapshot = await this.collections.docSnapshots.findOne({ _id: name });
		const mergedSeq = snapshot?.mergedSeq ?? 0;
		const entries = await this.collections.docUpdates
			.find({ doc: name, seq: { $gt: mergedSeq } })
			.sort({ seq: 1 })
			.toArray();
		const lastSeq = Math.max(mergedSeq, entries.at(-1)?.seq ?? 0);
		const existing = this.logs.get(name);
		if (existing) {
			existing.lastSeq = Math.max(existing.lastSeq, lastSeq);
			existing.mergedSeq = mergedSeq;
			existing.seqKnown = true;
		} else {
			this.logs.set(name, this.newLog(name, { lastSeq, mergedSeq, seqKnown: true }));
		}
		if (entries.length >= this.options.compactThreshold) this.scheduleCompaction(name);
		const parts = [
			...(snapshot ? [bytesOf(snapshot.update)] : []),
			...entries.map((e) => bytesOf(e.update))
		];
		if (parts.length === 0) return null;
		return parts.length === 1 ? parts[0]! : Y.mergeUpdates(parts);
	}

	/** Queues an update; resolves once it is durable (within the flush window). */
	store(name: string, update: Uint8Array): Promise<void> {
		if (this.closed) return Promise.reject(new Error('persistence is closed'));
		let log = this.logs.get(name);
		if (!log) {
			log = this.newLog(name, { lastSeq: 0, mergedSeq: 0, seqKnown: false });
			this.logs.set(name, log);
		}
		const target = log;
		return new Promise<void>((resolve, reject) => {
			target.pending.push(update);
			target.waiters.push({ resolve, reject });
			this.scheduleFlush(this.options.persistDelayMs);
		});
	}

	/** Writes what is pending now rather than at the end of the batching window (server writes). */
	flushSoon(): void {
		if (this.closed) return;
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

	private newLog(name: string, seq: Pick<DocLog, 'lastSeq' | 'mergedSeq' | 'seqKnown'>): DocLog {
		return { name, ...seq, pending: [], waiters: [], failures: 0, retryAt: 0, compacting: null };
	}

	private scheduleFlush(delayMs: number): void {
		if (this.flushTimer || this.closed) return;
		this.flushTimer = setTimeout(() => {
			this.flushTimer = null;
			void this.runFlush(false).then(() => this.rescheduleIfPending());
		}, delayMs);
	}

	private rescheduleIfPending(): void {
		let soonest = Infinity;
		for (const log of this.logs.values()) {
			if (log.pending.length > 0) soonest = Math.min(soonest, log.retryAt);
		}
		if (soonest === Infinity) return;
		this.scheduleFlush(Math.max(this.options.persistDelayMs, soonest - Date.now()));
	}

	private runFlush(force: boolean, only?: Set<DocLog>): Promise<void> {
		const run = this.flushChain.then(() => this.flushOnce(force, only));
		this.flushChain = run.catch(() => undefined);
		return run;
	}

	/** Writes every due document's pending updates as one log entry each, in one insertMany. */
	private async flushOnce(force: boolean, only?: Set<DocLog>): Promise<void> {
		const now = Date.now();
		const due = [...this.logs.values()].filter(
			(log) => log.pending.length > 0 && (force || log.retryAt <= now) && (!only || only.has(log))
		);
		if (due.length === 0) return;
		for (const log of due) {
			if (log.seqKnown) continue;
			await this.readLastSeq(log).catch((error: unknown) => {
				this.metrics.storeFailures.inc();
				log.failures++;
				log.retryAt = Date.now() + backoffDelay(log.failures, 100, 5_000);
				this.options.log.warn({ err: error, doc: log.name }, 'reading the log position failed');
			});
		}
		const batch = due
			.filter((log) => log.seqKnown)
			.map((log) => {
				const updates = log.pending.splice(0);
				const waiters = log.waiters.splice(0);
				const update = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
				return { log, update, waiters, seq: log.lastSeq + 1 };
			});
		if (batch.length === 0) return;
		const rows: DocUpdateDoc[] = batch.map((b) => ({
			doc: b.log.name,
			seq: b.seq,
			update: new Binary(b.update),
			createdAt: new Date()
		}));
		const failed = new Map<number, number | undefined>(); // batch index → error code
		try {
			await this.collections.docUpdates.insertMany(rows, { ordered: false });
		} catch (error) {
			// Only a bulk error whose per-row results add up tells which rows were written; a network
			// error also arrives as a MongoBulkWriteError, with no write errors and nothing inserted.
			const writeErrors =
				error instanceof MongoBulkWriteError && Array.isArray(error.writeErrors)
					? error.writeErrors
					: [];
			const accountedFor =
				error instanceof MongoBulkWriteError &&
				writeErrors.length > 0 &&
				error.insertedCount + writeErrors.length === rows.length;
			if (accountedFor) {
				for (const writeError of writeErrors) failed.set(writeError.index, writeError.code);
			} else {
				// outcome unknown: treat all as failed; a retry that collides is resolved below
				const code = error instanceof MongoServerError ? Number(error.code) : undefined;
				batch.forEach((_, i) => failed.set(i, code));
			}
			this.options.log.warn(
				{ err: error, docs: batch.length },
				'storing updates failed; will retry'
			);
		}
		batch.forEach((b, i) => {
			const { log } = b;
			if (!failed.has(i)) {
				log.lastSeq = b.seq;
				log.failures = 0;
				log.retryAt = 0;
				this.metrics.logWrites.inc();
				for (const w of b.waiters) w.resolve();
				if (log.lastSeq - log.mergedSeq >= this.options.compactThreshold)
					this.scheduleCompaction(log.name);
				return;
			}
			// put the updates back in front of anything that arrived meanwhile
			log.pending.unshift(b.update);
			log.waiters.unshift(...b.waiters);
			if (failed.get(i) === DUPLICATE_KEY) {
				// the sequence number is taken (our own write whose reply was lost, or another writer):
				// re-read the last one and write again; applying an update twice changes nothing
				log.seqKnown = false;
				return;
			}
			this.metrics.storeFailures.inc();
			log.failures++;
			log.retryAt = Date.now() + backoffDelay(log.failures, 100, 5_000);
		});
	}

	private async readLastSeq(log: DocLog): Promise<void> {
		const [last, snapshot] = await Promise.all([
			this.collections.docUpdates.find({ doc: log.name }).sort({ seq: -1 }).limit(1).next(),
			this.collections.docSnapshots.findOne({ _id: log.name }, { projection: { mergedSeq: 1 } })
		]);
		log.mergedSeq = snapshot?.mergedSeq ?? 0;
		log.lastSeq = Math.max(log.mergedSeq, last?.seq ?? 0);
		log.seqKnown = true;
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
		const snapshot = await this.collections.docSnapshots.findOne({ _id: log.name });
		const mergedSeq = snapshot?.mergedSeq ?? 0;
		log.mergedSeq = Math.max(log.mergedSeq, mergedSeq);
		if (upTo <= mergedSeq) return;
		const entries = await this.collections.docUpdates
			.find({ doc: log.name, seq: { $gt: mergedSeq, $lte: upTo } })
			.sort({ seq: 1 })
			.toArray();
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
			await this.collections.docUpdates.deleteMany({ doc: log.name, seq: { $lte: upTo } });
			this.metrics.compactions.inc();
			this.options.log.debug({ doc: log.name, merged: entries.length, upTo }, 'compacted');
		} finally {
			doc.destroy();
		}
	}
}
