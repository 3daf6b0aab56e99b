// Per document, where its update log stands and what waits for its next row: the updates queued
// since the last write was taken, and the promises of those who wait for them to be durable. No
// I/O here: the group commit (group-commit.ts) writes rows, loads and compactions read and move
// the position.
import * as Y from 'yjs';
import type { Generation } from './log-generations.ts';
import { backoffDelay } from './retry.ts';

/**
 * The updates of a document queued since its last write was taken share one promise, settled
 * when the group commit that writes them does: one promise per document and write, not per
 * update. A write that fails puts its updates and this back in front of what came meanwhile.
 */
export interface Waiter extends PromiseWithResolvers<void> {
	/** Called once these updates are stored (each frees its record in the journal). */
	stored: Array<() => void>;
}

/** The row a write takes from a document: its pending updates merged, and who waits for them. */
export interface Batch {
	log: DocLog;
	update: Uint8Array;
	waiters: Waiter[];
	seq: number;
}

export class DocLog {
	/** Highest sequence number known to be in the database (log or snapshot). */
	lastSeq = 0;
	/** Sequence numbers up to this are merged into the snapshot. */
	mergedSeq = 0;
	/** False until the position has been read from the database. */
	seqKnown = false;
	/** A write whose outcome is unknown (it failed after being sent): checked before the next. */
	unverified: { generation: Generation; seq: number } | null = null;
	pending: Uint8Array[] = [];
	waiters: Waiter[] = [];
	failures = 0;
	retryAt = 0;

	constructor(readonly name: string) {}

	/** Queues an update for the next row; returns the promise it shares with the others there. */
	queue(update: Uint8Array): Waiter {
		this.pending.push(update);
		let waiter = this.waiters.at(-1);
		if (waiter === undefined)
			this.waiters.push((waiter = { ...Promise.withResolvers<void>(), stored: [] }));
		return waiter;
	}

	/** Takes everything pending as the next row. */
	take(): Batch {
		const updates = this.pending.splice(0);
		const waiters = this.waiters.splice(0);
		const update = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
		return { log: this, update, waiters, seq: this.lastSeq + 1 };
	}

	/** Row `seq` is stored. */
	written(seq: number): void {
		this.lastSeq = seq;
		this.failures = 0;
		this.retryAt = 0;
	}

	/** A row taken by `take()` was not stored: it goes back in front of what came meanwhile. */
	putBack(batch: Batch): void {
		this.pending.unshift(batch.update);
		this.waiters.unshift(...batch.waiters);
	}

	/** Something failed for this document: its next write waits, longer after each failure. */
	failed(): void {
		this.failures++;
		this.retryAt = Date.now() + backoffDelay(this.failures, 100, 5_000);
	}

	/** Gives up on what is pending, rejecting whoever waits for it; returns how many updates. */
	giveUp(error: Error): number {
		const updates = this.pending.splice(0).length;
		for (const waiter of this.waiters.splice(0)) waiter.reject(error);
		return updates;
	}
}

/** A stored row's waiters: the journal lets go of their updates, then they resolve, in order. */
export function settleStored(waiters: Waiter[]): void {
	for (const waiter of waiters) {
		for (const stored of waiter.stored) stored();
		waiter.resolve();
	}
}

export class DocLogs {
	private readonly byName = new Map<string, DocLog>();

	get(name: string): DocLog | undefined {
		return this.byName.get(name);
	}

	has(name: string): boolean {
		return this.byName.has(name);
	}

	values(): IterableIterator<DocLog> {
		return this.byName.values();
	}

	/** Queues an update of a document (whose position is read before its first write). */
	queue(name: string, update: Uint8Array): Waiter {
		let log = this.byName.get(name);
		if (!log) {
			log = new DocLog(name);
			this.byName.set(name, log);
		}
		return log.queue(update);
	}

	/** A load read where the document's log stands. */
	loaded(name: string, lastSeq: number, mergedSeq: number): void {
		let log = this.byName.get(name);
		if (!log) {
			log = new DocLog(name);
			this.byName.set(name, log);
		}
		log.lastSeq = Math.max(log.lastSeq, lastSeq);
		log.mergedSeq = mergedSeq;
		log.seqKnown = true;
	}

	/** Forgets a document (it was unloaded) unless updates came for it meanwhile. */
	forget(log: DocLog): void {
		if (log.pending.length === 0 && this.byName.get(log.name) === log) this.byName.delete(log.name);
	}

	/** When the first document with pending updates may be written (Date.now()), or Infinity. */
	nextDue(): number {
		let soonest = Infinity;
		for (const log of this.byName.values()) {
			if (log.pending.length > 0) soonest = Math.min(soonest, log.retryAt);
		}
		return soonest;
	}
}
