// Yjs storage in MongoDB: per document a compacted snapshot (`ydoc_snapshots`) plus an
// append-only log of the updates accepted since, one row per document per flush, in generation
// collections that are only ever inserted into and dropped whole (docs/sync-server.md,
// "Persistence and durability"). This is what the server calls, and how the parts fit:
//
//   group-commit.ts        writes the log: group commits (flush-scheduler.ts: when), retries
//   doc-logs.ts            per document: where its log stands, the updates waiting for a write
//   log-generations.ts     where the rows are, when the current generation closes, drops
//   compaction.ts          rows merged into a snapshot (from memory when the document is loaded)
//   retirement.ts          a closed generation: its documents compacted, then it is dropped
//   relay-journal.ts       accepted updates not stored yet; replayed by the next start
//   persistence-metrics.ts the counters
//   extension.ts           the storage among the sync-server's extensions
import type { Binary, Db } from 'mongodb';
import type { Registry } from 'prom-client';
import * as Y from 'yjs';
import type { Collections, DocSnapshotDoc } from '../../src/lib/shared/db.ts';
import { batchedFindById, type FindById } from '../../src/lib/shared/find-by-id.ts';
import type { Logger } from '../../src/lib/shared/log.ts';
import { Compactor } from './compaction.ts';
import { DocLogs } from './doc-logs.ts';
import { GroupCommit } from './group-commit.ts';
import { LogGenerations, MissingRowError } from './log-generations.ts';
import { createPersistenceMetrics } from './persistence-metrics.ts';
import type { RelayJournal } from './relay-journal.ts';
import { Retirement } from './retirement.ts';

export interface PersistenceOptions {
	/**
	 * Extra time accepted updates wait to be batched before a write. 0 (the default) is a pure
	 * group commit: no fixed wait, batches form only while a write is in flight.
	 */
	persistDelayMs: number;
	/**
	 * The least time from the start of one scheduled write to the start of the next (default 0).
	 * An update that arrives after a quiet spell is written at once; under load, writes gather
	 * what arrived meanwhile, at most one per interval: fewer, larger writes for the same updates.
	 */
	minFlushIntervalMs?: number;
	/**
	 * Rows of one document in the current log generation that close it early (and so compact it
	 * with everything in it); also rows found at load that trigger a compaction of the document.
	 */
	compactThreshold: number;
	/** Attempts to flush a document before giving up on it (unload, shutdown). */
	maxFlushAttempts: number;
	/** Rows after which the log moves on to a new generation (default 2000). */
	generationRows?: number;
	/** Age after which a generation with rows is closed (default 60 s). */
	generationAgeMs?: number;
	/**
	 * false for a tool that only reads storage a running server owns: it leaves the generations
	 * it finds alone instead of retiring them (default true).
	 */
	retireEarlierGenerations?: boolean;
	/**
	 * With relay on accept: every stored update is first appended here (relay-journal.ts); what
	 * earlier processes left in theirs is stored through `storeReplayed()`.
	 */
	journal?: RelayJournal;
	log: Logger;
	registry: Registry;
}

const bytesOf = (binary: Binary) => new Uint8Array(binary.value());

export class MongoPersistence {
	private readonly logs = new DocLogs();
	private readonly generations: LogGenerations;
	private readonly compactor: Compactor;
	private readonly retirement: Retirement;
	private readonly commit: GroupCommit;
	/** Snapshot reads of loads, batched: a reconnect storm loads hundreds of documents at once. */
	private readonly readSnapshot: FindById<DocSnapshotDoc>;
	/** The documents the server holds now, from their load to their unload (see `loaded`). */
	private readonly live = new Map<string, Y.Doc>();
	private opened: Promise<void> | null = null;
	/** Closes an old generation also when nothing is written (so its merged rows get dropped). */
	private readonly rotationTimer: NodeJS.Timeout;

	constructor(
		database: { db: Db; collections: Collections },
		private readonly options: PersistenceOptions
	) {
		const { log } = options;
		const snapshots = database.collections.docSnapshots;
		const metrics = createPersistenceMetrics(options.registry);
		const generationAgeMs = options.generationAgeMs ?? 60_000;
		this.generations = new LogGenerations(
			database.db,
			{
				rows: options.generationRows ?? 2000,
				ageMs: generationAgeMs,
				docRows: options.compactThreshold
			},
			metrics.generationsDropped
		);
		this.readSnapshot = batchedFindById(snapshots);
		this.compactor = new Compactor({
			logs: this.logs,
			generations: this.generations,
			snapshots,
			liveState: (name) => {
				const doc = this.live.get(name);
				return doc === undefined || doc.isDestroyed ? null : Y.encodeStateAsUpdate(doc);
			},
			metrics,
			log
		});
		this.retirement = new Retirement(this.compactor, this.generations);
		this.commit = new GroupCommit({
			logs: this.logs,
			generations: this.generations,
			snapshots,
			opened: () => this.open(),
			retirement: this.retirement,
			persistDelayMs: options.persistDelayMs,
			minFlushIntervalMs: options.minFlushIntervalMs ?? 0,
			maxFlushAttempts: options.maxFlushAttempts,
			metrics,
			log
		});
		this.rotationTimer = setInterval(
			() => {
				if (!this.opened || this.commit.closed) return;
				void this.commit.rotateIfDue().catch(() => undefined);
			},
			Math.min(generationAgeMs, 10_000)
		);
		this.rotationTimer.unref();
	}

	/**
	 * The server holds this document from now until its `unload`, every accepted update applied
	 * to `doc`: compactions take its state from there instead of reading its rows.
	 */
	loaded(name: string, doc: Y.Doc): void {
		this.live.set(name, doc);
	}

	/** Finds what earlier runs left in the log (and retires it in the background). Call first. */
	open(): Promise<void> {
		this.opened ??= this.generations.discover().then((earlier) => {
			if (this.options.retireEarlierGenerations === false) return;
			for (const generation of earlier) this.retirement.retire(generation);
		});
		return this.opened;
	}

	/** Snapshot + the log after it, merged; null for a document never stored. Throws on failure. */
	async load(name: string): Promise<Uint8Array | null> {
		await this.open();
		for (let attempt = 1; ; attempt++) {
			try {
				return await this.loadOnce(name);
			} catch (error) {
				// a compaction may have merged rows and dropped their generation between our reads
				// of the snapshot and of the rows: the snapshot read again has them
				if (!(error instanceof MissingRowError) || attempt >= 3) throw error;
			}
		}
	}

	private async loadOnce(name: string): Promise<Uint8Array | null> {
		// How far the log goes, taken before the snapshot is read. A compaction running meanwhile
		// writes its snapshot first and only then marks the rows merged (which takes them out of
		// `lastSeq`): so either the snapshot read next has them, or they are still counted here
		// and read below (or found gone, and the load retried). Taken after the snapshot, a
		// compaction in between would make the old snapshot look complete.
		const logged = this.generations.lastSeq(name);
		const snapshot = await this.readSnapshot(name);
		const mergedSeq = snapshot?.mergedSeq ?? 0;
		const lastSeq = Math.max(mergedSeq, logged);
		const rows = await this.generations.readRows(name, mergedSeq, lastSeq);
		this.logs.loaded(name, lastSeq, mergedSeq);
		if (rows.length >= this.options.compactThreshold) this.compactor.schedule(name);
		const parts = [
			...(snapshot ? [bytesOf(snapshot.update)] : []),
			...rows.map((row) => bytesOf(row.update))
		];
		if (parts.length === 0) return null;
		return parts.length === 1 ? parts[0]! : Y.mergeUpdates(parts);
	}

	/**
	 * Stores an update an earlier process journaled (without journaling it again). Call after
	 * `open()`, before serving documents.
	 */
	storeReplayed(name: string, update: Uint8Array): Promise<void> {
		return this.commit.queue(name, update).promise;
	}

	/**
	 * Queues an update; resolves once it is durable (the next group commit). Updates of a
	 * document queued before the same write get the same promise.
	 */
	store(name: string, update: Uint8Array): Promise<void> {
		if (this.commit.closed) return Promise.reject(new Error('persistence is closed'));
		// kept in the journal until it is durable; one that could not be stored stays there, for
		// the next start to store
		const stored = this.options.journal?.append(name, update);
		const waiter = this.commit.queue(name, update);
		if (stored) waiter.stored.push(stored);
		return waiter.promise;
	}

	/** The highest sequence number of a document's log known to be in the database, if known. */
	storedSeq(name: string): number | null {
		return this.logs.get(name)?.lastSeq ?? null;
	}

	/** Writes what is pending without the batching delay (server writes). */
	flushSoon(): void {
		this.commit.flushSoon();
	}

	/** Flushes one document (retrying), compacts it, and forgets it. Used when it is unloaded. */
	async unload(name: string): Promise<void> {
		const log = this.logs.get(name);
		try {
			if (!log) return;
			await this.commit.drain([log]);
			if (log.lastSeq > log.mergedSeq && log.pending.length === 0 && !this.compactor.winding) {
				await this.compactor.compact(name);
			}
		} finally {
			this.live.delete(name);
			if (log) this.logs.forget(log);
		}
	}

	/**
	 * The first step of a graceful shutdown: compactions not started yet are skipped (unloads
	 * only flush), so stopping waits for writes, not for background work. The log generations
	 * left are retired by the next start.
	 */
	windDown(): void {
		this.compactor.windDown();
	}

	/** Flushes everything (retrying a bounded number of times) and stops. For graceful shutdown. */
	async close(): Promise<void> {
		this.compactor.windDown();
		clearInterval(this.rotationTimer);
		await this.commit.close();
		this.options.journal?.close();
		await this.compactor.idle();
		this.live.clear();
	}

	/** Runs a compaction of one document now (tests and tools; normally it runs in the background). */
	compact(name: string): Promise<void> {
		return this.compactor.compact(name);
	}

	/** Closes the current log generation and retires it (tests and tools). */
	async rotateLog(): Promise<void> {
		await this.open();
		await this.commit.closeGeneration();
		await this.compactor.idle();
	}
}
