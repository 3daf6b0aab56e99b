// Compaction: a document's log rows merged into its snapshot (`ydoc_snapshots`, with `mergedSeq`,
// the last row it holds). The snapshot is written first; the rows it merged stay until their
// generation is dropped (retirement.ts), so a crash in between leaves rows ≤ `mergedSeq`, which
// loads skip. Compactions run one at a time in the background, and not at all once the storage
// winds down (the next start retires what is left).
//
// A document the server has loaded is compacted from its state in memory: that state holds every
// row written for it, since every update is applied before it is stored, so the snapshot needs no
// reads at all. Only documents not loaded are merged from their rows.
import { Binary, type Collection } from 'mongodb';
import * as Y from 'yjs';
import type { DocLogRowDoc, DocSnapshotDoc } from '../../src/lib/shared/db.ts';
import type { Logger } from '../../src/lib/shared/log.ts';
import type { DocLogs } from './doc-logs.ts';
import type { LogGenerations } from './log-generations.ts';
import type { PersistenceMetrics } from './persistence-metrics.ts';

/** The state of a document the server has loaded now (every update applied), or null. */
type LiveState = (name: string) => Uint8Array | null;

export interface CompactorDeps {
	logs: DocLogs;
	generations: LogGenerations;
	snapshots: Collection<DocSnapshotDoc>;
	liveState: LiveState;
	metrics: PersistenceMetrics;
	log: Logger;
}

const bytesOf = (binary: Binary) => new Uint8Array(binary.value());

export class Compactor {
	/** Everything that writes snapshots runs here, one at a time: it is background work. */
	private chain: Promise<void> = Promise.resolve();
	private readonly queued = new Set<string>();
	/** Shutting down: compactions not started yet are skipped. */
	private windingDown = false;

	constructor(private readonly deps: CompactorDeps) {}

	get winding(): boolean {
		return this.windingDown;
	}

	windDown(): void {
		this.windingDown = true;
	}

	/** Resolves once the compactions queued so far are done. */
	idle(): Promise<void> {
		return this.chain;
	}

	/** Compacts a document in the background (once, however often asked before it runs). */
	schedule(name: string): void {
		if (this.queued.has(name) || this.windingDown) return;
		this.queued.add(name);
		void this.run(
			async () => {
				this.queued.delete(name);
				if (this.deps.logs.has(name)) await this.compactOnce(name);
			},
			{ doc: name }
		);
	}

	/** Compacts a document after the compactions queued before it; never rejects (logged). */
	compact(name: string): Promise<void> {
		return this.run(() => this.compactOnce(name), { doc: name });
	}

	/** Runs background work after everything queued so far; a failure is counted and logged. */
	run(task: () => Promise<void>, what: Record<string, unknown>): Promise<void> {
		const run = this.chain.then(() => (this.windingDown ? undefined : task()));
		const settled = run.catch((error: unknown) => {
			this.deps.metrics.compactionFailures.inc();
			this.deps.log.warn({ err: error, ...what }, 'compaction failed; log kept');
		});
		this.chain = settled;
		return settled;
	}

	/**
	 * A loaded document's snapshot from memory, as merged up to the last row written for it (or
	 * `atLeast`); false when it is not loaded (or its log position is not known yet).
	 */
	async fromMemory(name: string, atLeast: number): Promise<boolean> {
		const log = this.deps.logs.get(name);
		if (!log?.seqKnown || log.unverified) return false;
		const state = this.deps.liveState(name);
		if (!state) return false;
		const upTo = Math.max(log.lastSeq, atLeast);
		await this.saveSnapshot(name, state, Y.encodeStateVectorFromUpdate(state), upTo);
		this.deps.metrics.compactionsFromMemory.inc();
		this.markMerged(name, upTo);
		return true;
	}

	/**
	 * Merges a document's rows up to `upTo` into its snapshot, reading them with `rowsAfter`
	 * (given how far the snapshot already goes); then they count as merged.
	 */
	async fromRows(
		name: string,
		upTo: number,
		rowsAfter: (mergedSeq: number) => Promise<DocLogRowDoc[]>
	): Promise<void> {
		const snapshot = await this.deps.snapshots.findOne({ _id: name });
		const mergedSeq = snapshot?.mergedSeq ?? 0;
		if (upTo > mergedSeq) {
			const rows = await rowsAfter(mergedSeq);
			await this.writeSnapshot(name, snapshot, rows, upTo);
		}
		this.markMerged(name, Math.max(upTo, mergedSeq));
	}

	/** Merges a document's rows up to what is durable into its snapshot. */
	private async compactOnce(name: string): Promise<void> {
		const { logs, generations } = this.deps;
		const log = logs.get(name);
		if (log && log.lastSeq > log.mergedSeq && (await this.fromMemory(name, 0))) {
			await generations.dropDrained();
			return;
		}
		const upTo = log?.lastSeq ?? generations.lastSeq(name);
		await this.fromRows(name, upTo, (mergedSeq) => generations.readRows(name, mergedSeq, upTo));
		await generations.dropDrained();
	}

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
			this.deps.log.debug({ doc: name, merged: rows.length, upTo }, 'compacted');
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
		await this.deps.snapshots.replaceOne(
			{ _id: name },
			{
				update: new Binary(update),
				stateVector: new Binary(stateVector),
				mergedSeq,
				updatedAt: new Date()
			},
			{ upsert: true }
		);
		this.deps.metrics.compactions.inc();
	}

	private markMerged(name: string, upTo: number): void {
		const log = this.deps.logs.get(name);
		if (log) log.mergedSeq = Math.max(log.mergedSeq, upTo);
		this.deps.generations.merged(name, upTo);
	}
}
