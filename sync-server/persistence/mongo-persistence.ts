// Yjs storage in MongoDB: per document a compacted snapshot (`ydoc_snapshots`) plus an
// append-only log of the updates accepted since, one row per document per flush, in generation
// collections (log-generations.ts) that are only ever inserted into and dropped whole.
//
// Flushes are group commits: the first update to arrive while nothing is being written goes out at
// once, and whatever arrives during a write is merged per document into the next one (one
// insertMany). Compaction merges rows into a snapshot; the rows stay until their generation is
// retired (every document in it compacted) and dropped: snapshot first, then delete.
//
// A document the server has loaded is compacted from its state in memory (`useLiveState`): that
// state holds every row written for it, since every update is applied before it is stored, so
// the snapshot needs no reads at all. Only documents not loaded are merged from their rows.
import { Binary, type Db } from 'mongodb';
import type { Registry } from 'prom-client';
import * as Y from 'yjs';
import type { Collections, DocLogRowDoc, DocSnapshotDoc } from '../../src/lib/shared/db.ts';
import { batchedFindById, type FindById } from '../../src/lib/shared/find-by-id.ts';
import type { Logger } from '../../src/lib/shared/log.ts';
import { DocLogs } from './doc-logs.ts';
import { GroupCommit } from './group-commit.ts';
import { LogGenerations, MissingRowError, type Generation } from './log-generations.ts';
import { createPersistenceMetrics, type PersistenceMetrics } from './persistence-metrics.ts';
import type { RelayJournal } from './relay-journal.ts';

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
	 * With relay on accept: every stored update is first appended here, and what an earlier
	 * process left in it is stored by `replayJournal()` (relay-journal.ts).
	 */
	journal?: RelayJournal;
	log: Logger;
	registry: Registry;
}

const bytesOf = (binary: Binary) => new Uint8Array(binary.value());

/** The state of a document the server has loaded now (every update applied), or null. */
export type LiveState = (name: string) => Uint8Array | null;

export class MongoPersistence {
	private readonly logs = new DocLogs();
	private liveState: LiveState | null = null;
	private readonly generations: LogGenerations;
	private readonly collections: Collections;
	/** Snapshot reads of loads, batched: a reconnect storm loads hundreds of documents at once. */
	private readonly readSnapshot: FindById<DocSnapshotDoc>;
	private opened: Promise<void> | null = null;
	/** Closes an old generation also when nothing is written (so its merged rows get dropped). */
	private readonly rotationTimer: NodeJS.Timeout;
	private readonly commit: GroupCommit;
	/** Everything that writes snapshots runs here, one at a time: it is background work. */
	private compactionChain: Promise<void> = Promise.resolve();
	private readonly compactionQueued = new Set<string>();
	/** Shutting down: background compaction stops; what it did not do, the next start does. */
	private winding = false;
	private readonly metrics: PersistenceMetrics;

	constructor(
		database: { db: Db; collections: Collections },
		private readonly options: PersistenceOptions
	) {
		this.collections = database.collections;
		this.readSnapshot = batchedFindById(database.collections.docSnapshots);
		this.metrics = createPersistenceMetrics(options.registry);
		const generationAgeMs = options.generationAgeMs ?? 60_000;
		this.generations = new LogGenerations(
			database.db,
			{
				rows: options.generationRows ?? 2000,
				ageMs: generationAgeMs,
				docRows: options.compactThreshold
			},
			this.metrics.generationsDropped
		);
		this.commit = new GroupCommit({
			logs: this.logs,
			generations: this.generations,
			snapshots: database.collections.docSnapshots,
			opened: () => this.open(),
			retirement: { retire: (generation) => this.queueRetirement(generation) },
			persistDelayMs: options.persistDelayMs,
			minFlushIntervalMs: options.minFlushIntervalMs ?? 0,
			maxFlushAttempts: options.maxFlushAttempts,
			metrics: this.metrics,
			log: options.log
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

	/** Lets compaction take a loaded document's state from memory (see the header). */
	useLiveState(liveState: LiveState): void {
		this.liveState = liveState;
	}

	/** Finds what earlier runs left in the log (and retires it in the background). Call first. */
	open(): Promise<void> {
		this.opened ??= this.generations.discover().then((earlier) => {
			if (this.options.retireEarlierGenerations === false) return;
			for (const generation of earlier) this.queueRetirement(generation);
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
		if (rows.length >= this.options.compactThreshold) this.scheduleCompaction(name);
		const parts = [
			...(snapshot ? [bytesOf(snapshot.update)] : []),
			...rows.map((row) => bytesOf(row.update))
		];
		if (parts.length === 0) return null;
		return parts.length === 1 ? parts[0]! : Y.mergeUpdates(parts);
	}

	/**
	 * Stores what the journal holds from an earlier process, then deletes it. Call after
	 * `open()`, before serving documents.
	 */
	async replayJournal(): Promise<void> {
		await this.options.journal?.replay(
			(name, update) => this.commit.queue(name, update).promise,
			this.options.log
		);
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

	/** Writes what is pending without the batching delay (server writes). */
	flushSoon(): void {
		this.commit.flushSoon();
	}

	/** Flushes one document (retrying), compacts it, and forgets it. Used when it is unloaded. */
	async unload(name: string): Promise<void> {
		const log = this.logs.get(name);
		if (!log) return;
		try {
			await this.commit.drain([log]);
			if (log.lastSeq > log.mergedSeq && log.pending.length === 0 && !this.winding) {
				await this.compactNow(name);
			}
		} finally {
			this.logs.forget(log);
		}
	}

	/**
	 * The first step of a graceful shutdown: compactions not started yet are skipped (unloads
	 * only flush), so stopping waits for writes, not for background work. The log generations
	 * left are retired by the next start.
	 */
	windDown(): void {
		this.winding = true;
	}

	/** Flushes everything (retrying a bounded number of times) and stops. For graceful shutdown. */
	async close(): Promise<void> {
		this.winding = true;
		clearInterval(this.rotationTimer);
		await this.commit.close();
		this.options.journal?.close();
		await this.compactionChain;
	}

	/** Runs a compaction of one document now (tests and tools; normally it runs in the background). */
	compact(name: string): Promise<void> {
		return this.compactNow(name);
	}

	/** Closes the current log generation and retires it (tests and tools). */
	async rotateLog(): Promise<void> {
		await this.open();
		await this.commit.closeGeneration();
		await this.compactionChain;
	}

	// ---- compaction ----------------------------------------------------------------------------

	private onCompactionChain(
		task: () => Promise<void>,
		what: Record<string, unknown>
	): Promise<void> {
		const run = this.compactionChain.then(() => (this.winding ? undefined : task()));
		const settled = run.catch((error: unknown) => {
			this.metrics.compactionFailures.inc();
			this.options.log.warn({ err: error, ...what }, 'compaction failed; log kept');
		});
		this.compactionChain = settled;
		return settled;
	}

	private scheduleCompaction(name: string): void {
		if (this.compactionQueued.has(name) || this.commit.closed) return;
		this.compactionQueued.add(name);
		void this.onCompactionChain(
			async () => {
				this.compactionQueued.delete(name);
				if (this.logs.has(name)) await this.compactOnce(name);
			},
			{ doc: name }
		);
	}

	private compactNow(name: string): Promise<void> {
		return this.onCompactionChain(() => this.compactOnce(name), { doc: name });
	}

	/**
	 * A loaded document's snapshot from memory, as merged up to the last row written for it;
	 * false when it is not loaded (or its log position is not known yet).
	 */
	private async compactFromMemory(name: string, atLeast: number): Promise<boolean> {
		const log = this.logs.get(name);
		if (!log?.seqKnown || log.unverified) return false;
		const state = this.liveState?.(name);
		if (!state) return false;
		const upTo = Math.max(log.lastSeq, atLeast);
		await this.saveSnapshot(name, state, Y.encodeStateVectorFromUpdate(state), upTo);
		this.metrics.compactionsFromMemory.inc();
		this.markMerged(name, upTo);
		return true;
	}

	/** Merges a document's rows up to what is durable into its snapshot. */
	private async compactOnce(name: string): Promise<void> {
		const log = this.logs.get(name);
		if (log && log.lastSeq > log.mergedSeq && (await this.compactFromMemory(name, 0))) {
			await this.generations.dropDrained();
			return;
		}
		const upTo = log?.lastSeq ?? this.generations.lastSeq(name);
		const snapshot = await this.collections.docSnapshots.findOne({ _id: name });
		const mergedSeq = snapshot?.mergedSeq ?? 0;
		if (upTo > mergedSeq) {
			const rows = await this.generations.readRows(name, mergedSeq, upTo);
			await this.writeSnapshot(name, snapshot, rows, upTo);
		}
		this.markMerged(name, Math.max(upTo, mergedSeq));
		await this.generations.dropDrained();
	}

	/** 1. the new snapshot; the rows it merged stay until their generation is dropped (2.) */
	private async writeSnapshot(
		name: string,
		snapshot: DocSnapshotDoc | null,
		rows: DocLogRowDoc[],
		upTo: number
	): Promise<void> {
		const doc = new Y.Doc({ guid: name });
		try {
			Y.transact(doc, () => {
				if (snapshot) Y.applyUpdate(doc, bytesOf(snapshot.update));
				for (const row of rows) Y.applyUpdate(doc, bytesOf(row.update));
			});
			await this.saveSnapshot(name, Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc), upTo);
			this.options.log.debug({ doc: name, merged: rows.length, upTo }, 'compacted');
		} finally {
			doc.destroy();
		}
	}

	private async saveSnapshot(
		name: string,
		update: Uint8Array,
		stateVector: Uint8Array,
		mergedSeq: number
	): Promise<void> {
		await this.collections.docSnapshots.replaceOne(
			{ _id: name },
			{
				update: new Binary(update),
				stateVector: new Binary(stateVector),
				mergedSeq,
				updatedAt: new Date()
			},
			{ upsert: true }
		);
		this.metrics.compactions.inc();
	}

	private markMerged(name: string, upTo: number): void {
		const log = this.logs.get(name);
		if (log) log.mergedSeq = Math.max(log.mergedSeq, upTo);
		this.generations.merged(name, upTo);
	}

	/**
	 * Compacts every document that still has rows in a closed generation (reading the generation
	 * once), then drops it. Generations retire oldest first, so a document's earlier rows are
	 * always in its snapshot already.
	 */
	private queueRetirement(generation: Generation): void {
		void this.onCompactionChain(
			async () => {
				for (const [name, upTo] of [...generation.unmerged]) {
					if (this.winding) return; // kept; the next start retires it
					await this.compactFromMemory(name, upTo);
				}
				if (generation.unmerged.size > 0) {
					const byDoc = new Map<string, DocLogRowDoc[]>();
					for await (const row of generation.collection.find({})) {
						if (!generation.unmerged.has(row.doc)) continue;
						const rows = byDoc.get(row.doc);
						if (rows) rows.push(row);
						else byDoc.set(row.doc, [row]);
					}
					for (const [name, upTo] of [...generation.unmerged]) {
						if (this.winding) return; // kept; the next start retires it
						const snapshot = await this.collections.docSnapshots.findOne({ _id: name });
						const mergedSeq = snapshot?.mergedSeq ?? 0;
						if (upTo > mergedSeq) {
							const rows = (byDoc.get(name) ?? [])
								.filter((row) => row.seq > mergedSeq && row.seq <= upTo)
								.sort((a, b) => a.seq - b.seq);
							if (rows.length !== upTo - mergedSeq || rows[0]?.seq !== mergedSeq + 1) {
								throw new Error(
									`log rows of ${name} up to ${upTo} are not all in generation ${generation.number}`
								);
							}
							await this.writeSnapshot(name, snapshot, rows, upTo);
						}
						this.markMerged(name, Math.max(upTo, mergedSeq));
					}
				}
				await this.generations.dropDrained();
			},
			{ generation: generation.number }
		).then(() => {
			// failed (logged): try again later; the generation is kept meanwhile
			if (this.generations.has(generation) && generation.unmerged.size > 0 && !this.winding) {
				setTimeout(() => this.queueRetirement(generation), 30_000).unref();
			}
		});
	}
}
