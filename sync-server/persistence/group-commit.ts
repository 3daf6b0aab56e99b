// The group commit, the only writer of the update log: each write appends to the current log
// generation, in one insertMany, one row per document with pending updates (merged); when it
// writes is flush-scheduler.ts. Writes run one at a time, so sequence numbers are taken in order,
// and the current generation is closed only between writes. For each row stored, the journal
// lets go of its updates, then its waiters resolve, in the order queued. A failed write puts its
// updates back in front of what came meanwhile, retried with backoff; a write whose outcome is
// unknown is looked up before the document's next one (an update stored twice changes nothing:
// applying a Yjs update again is a no-op, and compaction merges it away).
import { Binary, type Collection } from 'mongodb';
import type { DocLogRowDoc, DocSnapshotDoc } from '../../src/lib/shared/db.ts';
import type { Logger } from '../../src/lib/shared/log.ts';
import { settleStored, type DocLog, type DocLogs, type Waiter } from './doc-logs.ts';
import { FlushScheduler } from './flush-scheduler.ts';
import { rowId, type Generation, type LogGenerations } from './log-generations.ts';
import type { PersistenceMetrics } from './persistence-metrics.ts';
import { backoffDelay, sleep } from './retry.ts';

export interface GroupCommitOptions {
	logs: DocLogs;
	generations: LogGenerations;
	snapshots: Collection<DocSnapshotDoc>;
	/** Resolves once what earlier runs left in the log is known; every write waits for it. */
	opened: () => Promise<void>;
	/** Takes the generations this closes (retirement.ts). */
	retirement: { retire(generation: Generation): void };
	/** See PersistenceOptions. */
	persistDelayMs: number;
	minFlushIntervalMs: number;
	maxFlushAttempts: number;
	metrics: PersistenceMetrics;
	log: Logger;
}

export class GroupCommit {
	/** Writes run here one at a time, so sequence numbers are assigned in order. */
	private chain: Promise<void> = Promise.resolve();
	private readonly scheduler: FlushScheduler;
	private closedNow = false;

	constructor(private readonly options: GroupCommitOptions) {
		this.scheduler = new FlushScheduler({
			delayMs: options.persistDelayMs,
			minIntervalMs: options.minFlushIntervalMs,
			flush: () => this.runFlush(false),
			nextDue: () => options.logs.nextDue()
		});
	}

	get closed(): boolean {
		return this.closedNow;
	}

	/** Queues an update for its document's next row; the waiter settles when that is stored. */
	queue(name: string, update: Uint8Array): Waiter {
		const waiter = this.options.logs.queue(name, update);
		this.scheduler.queued();
		return waiter;
	}

	/** Writes what is pending without the batching delay (someone waits for it). */
	flushSoon(): void {
		if (this.closedNow) return;
		this.scheduler.soon();
	}

	/** Closes the current generation if it is due, between writes. */
	rotateIfDue(): Promise<void> {
		return this.onChain(async () => {
			await this.options.opened();
			this.rotate(Date.now());
		});
	}

	/** Closes the current generation if it has rows, due or not (tests and tools). */
	closeGeneration(): Promise<void> {
		return this.onChain(async () => {
			const { generations, retirement } = this.options;
			if (generations.current.rows > 0) retirement.retire(generations.rotate());
		});
	}

	/**
	 * Writes the given documents' pending updates now, retrying with backoff; after
	 * `maxFlushAttempts` the rest is given up (logged and counted; connected clients still hold
	 * those updates and re-send them).
	 */
	async drain(logs: Iterable<DocLog>): Promise<void> {
		const targets = new Set(logs);
		for (let attempt = 0; ; attempt++) {
			// a write in flight holds its batch outside `pending` until it settles
			await this.chain;
			const remaining = [...targets].filter((log) => log.pending.length > 0);
			if (remaining.length === 0) return;
			if (attempt >= this.options.maxFlushAttempts) {
				for (const log of remaining) {
					const error = new Error(`could not store ${log.pending.length} update(s) of ${log.name}`);
					this.options.metrics.dropped.inc(log.pending.length);
					this.options.log.error({ doc: log.name, updates: log.pending.length }, error.message);
					log.giveUp(error);
				}
				return;
			}
			if (attempt > 0) await sleep(backoffDelay(attempt, 100, 2_000));
			await this.runFlush(true, new Set(remaining));
		}
	}

	/** Writes everything pending (with bounded retries), then takes nothing more. */
	async close(): Promise<void> {
		this.scheduler.cancel();
		await this.drain(this.options.logs.values());
		this.closedNow = true;
		this.scheduler.stop();
	}

	private runFlush(force: boolean, only?: Set<DocLog>): Promise<void> {
		return this.onChain(() => this.flushOnce(force, only));
	}

	/** Runs after every write queued so far, before any queued later. */
	private onChain(task: () => Promise<void>): Promise<void> {
		const run = this.chain.then(task);
		this.chain = run.catch(() => undefined);
		return run;
	}

	/** Appends every due document's pending updates as one row each, in one insertMany. */
	private async flushOnce(force: boolean, only?: Set<DocLog>): Promise<void> {
		const { logs, generations, metrics } = this.options;
		await this.options.opened();
		const now = Date.now();
		const due = [...logs.values()].filter(
			(log) => log.pending.length > 0 && (force || log.retryAt <= now) && (!only || only.has(log))
		);
		if (due.length === 0) return;
		await this.readPositions(due.filter((log) => !log.seqKnown));
		const unverified = due.filter((log) => log.seqKnown && log.unverified);
		if (unverified.length > 0) await Promise.all(unverified.map((log) => this.verify(log)));
		this.rotate(now);
		const generation = generations.current;
		const batch = due.filter((log) => log.seqKnown && !log.unverified).map((log) => log.take());
		if (batch.length === 0) return;
		const at = new Date();
		const rows: DocLogRowDoc[] = batch.map(({ log, update, seq }) => ({
			_id: rowId(log.name, seq),
			doc: log.name,
			seq,
			update: new Binary(update),
			at
		}));
		metrics.flushes.inc();
		const landed = await this.insert(generation, rows);
		batch.forEach((taken, i) => {
			const { log, seq } = taken;
			if (landed[i] === true) {
				this.written(log, seq);
				settleStored(taken.waiters);
				return;
			}
			log.putBack(taken);
			if (landed[i] === null) log.unverified = { generation, seq };
			metrics.storeFailures.inc();
			log.failed();
		});
		if (generations.closeWanted) this.rotate(Date.now());
	}

	/** Inserts the rows; says of each whether it landed (null: not known, its lookup failed). */
	private async insert(generation: Generation, rows: DocLogRowDoc[]): Promise<(boolean | null)[]> {
		try {
			await generation.collection.insertMany(rows, { ordered: false });
			return rows.map(() => true);
		} catch (error) {
			// Which rows of a failed insertMany landed is not reliable (FerretDB 1.24 stops at the
			// first error), so each row is looked up.
			this.options.log.warn({ err: error, docs: rows.length }, 'storing updates failed');
			return Promise.all(
				rows.map((row) =>
					generation.collection
						.findOne({ _id: row._id }, { projection: { _id: 1 } })
						.then((found) => found !== null)
						.catch(() => null)
				)
			);
		}
	}

	private written(log: DocLog, seq: number, generation?: Generation): void {
		log.written(seq);
		this.options.generations.written(log.name, seq, generation);
		this.options.metrics.logWrites.inc();
	}

	/**
	 * Reads where the logs of documents stored without being loaded stand (their snapshots'
	 * positions), all in one query.
	 */
	private async readPositions(logs: DocLog[]): Promise<void> {
		if (logs.length === 0) return;
		const { generations, snapshots } = this.options;
		// Where the generations say each log stands, taken before the snapshots are read: a
		// retirement may merge a document while the read is on its way (the snapshot read then
		// predates its new mergedSeq, and the generations no longer know its rows), and a log
		// numbered from neither would reuse sequence numbers its snapshot already covers, rows
		// every load then skips.
		const inGenerations = new Map(logs.map((log) => [log.name, generations.lastSeq(log.name)]));
		try {
			const found = await snapshots
				.find({ _id: { $in: logs.map((log) => log.name) } }, { projection: { mergedSeq: 1 } })
				.toArray();
			const mergedSeqs = new Map(found.map((snapshot) => [snapshot._id, snapshot.mergedSeq]));
			for (const log of logs) {
				log.mergedSeq = mergedSeqs.get(log.name) ?? 0;
				log.lastSeq = Math.max(log.lastSeq, log.mergedSeq, inGenerations.get(log.name) ?? 0);
				log.seqKnown = true;
			}
		} catch (error) {
			for (const log of logs) {
				this.options.metrics.storeFailures.inc();
				log.failed();
			}
			this.options.log.warn({ err: error, docs: logs.length }, 'reading log positions failed');
		}
	}

	/** Whether a write with an unknown outcome landed. */
	private async verify(log: DocLog): Promise<void> {
		const unverified = log.unverified!;
		try {
			const found =
				this.options.generations.has(unverified.generation) &&
				(await unverified.generation.collection.findOne(
					{ _id: rowId(log.name, unverified.seq) },
					{ projection: { _id: 1 } }
				)) !== null;
			// it may have landed in a generation closed since: it is counted there
			if (found) this.written(log, unverified.seq, unverified.generation);
			log.unverified = null;
		} catch (error) {
			this.options.metrics.storeFailures.inc();
			log.failed();
			this.options.log.warn({ err: error, doc: log.name }, 'reading the log position failed');
		}
	}

	private rotate(now: number): void {
		if (this.closedNow) return;
		const closed = this.options.generations.closeIfDue(now);
		if (closed) this.options.retirement.retire(closed);
	}
}
