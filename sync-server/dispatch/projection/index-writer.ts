// Brings the `orders` index rows of a batch's orders up to date (only existing rows: the web app
// creates them, and a row it removed again means the order does not exist).
//
// The row last read or written is kept per loaded order document, so a change that leaves the
// row as it is costs no database round trip, and one that changes it is a single guarded update
// (all of a batch's in one bulk write): it applies only while the row still holds what this
// process knows (status, partner, updatedAt), which is what every write of the web app (claims,
// cancellations and their rollbacks) changes. A guarded update that matches nothing means the web
// app wrote meanwhile: the row and the claim decision are read again and the order projected
// from them, as without the cache.
//
// A change of the activity fields alone waits (deferred-activity.ts) and is then written by
// `_id` alone, without the guard: overwriting activity is harmless, and a web app write it might
// race is always followed by a document change whose guarded write then misses and is projected
// afresh.
import type { AnyBulkWriteOperation } from 'mongodb';
import {
	bulkWriteInChunks,
	type Collections,
	type OrderClaimDoc,
	type OrderIndexDoc
} from '../../../src/lib/shared/db.ts';
import { batchedFindById, type FindById } from '../../../src/lib/shared/find-by-id.ts';
import type { Logger } from '../../../src/lib/shared/log.ts';
import type { SyncDocument } from '../../core/document.ts';
import { SLICE, yieldToEventLoop } from './batches.ts';
import type { DeferredActivity } from './deferred-activity.ts';
import {
	activityOnly,
	changedFields,
	projectIndex,
	type ClaimDecision,
	type IndexProjection
} from './index-row.ts';
import type { ProjectedOrder } from './projected-order.ts';

export interface IndexWriterOptions {
	collections: Collections;
	log: Logger;
	/** Which orders' activity-only changes wait. */
	activity: DeferredActivity;
	/** Called when a partner's delivered count or rating may have changed. */
	onPartnerStatsChanged?: (partnerId: string) => void;
}

/** What this process last read from, or wrote to, an order's index row and claim decision. */
interface KnownRow {
	row: OrderIndexDoc;
	decision: ClaimDecision;
}

export class IndexWriter {
	private readonly known = new WeakMap<SyncDocument, KnownRow>();
	/** Index rows and claim decisions of orders as they load, batched (a storm loads hundreds). */
	private readonly readRow: FindById<OrderIndexDoc>;
	private readonly readDecision: FindById<OrderClaimDoc>;

	constructor(private readonly options: IndexWriterOptions) {
		this.readRow = batchedFindById(options.collections.orders);
		this.readDecision = batchedFindById(options.collections.orderClaims);
	}

	/**
	 * Brings the index rows of a batch up to date; sets each order's feed membership (none for an
	 * order without a row) and marks those whose row could not be written as failed. With `now`,
	 * activity-only changes are written too instead of waiting.
	 */
	async write(orders: ProjectedOrder[], { now = false } = {}): Promise<void> {
		const { activity } = this.options;
		const guarded: Array<{
			order: ProjectedOrder;
			known: KnownRow;
			diff: Partial<IndexProjection>;
		}> = [];
		const unknown: ProjectedOrder[] = [];
		let compared = 0;
		for (const entry of orders) {
			if (++compared % SLICE === 0) await yieldToEventLoop();
			const known = this.known.get(entry.document);
			if (known === undefined) {
				unknown.push(entry);
				continue;
			}
			const next = projectIndex(entry.view, known.decision, known.row);
			const diff = changedFields(known.row, next);
			if (diff === null) {
				activity.settled(entry.orderId);
			} else if (!now && activityOnly(diff) && activity.mayWait(entry.orderId)) {
				continue;
			} else {
				activity.settled(entry.orderId);
				guarded.push({ order: entry, known, diff });
			}
		}
		if (guarded.length > 0) {
			const operations: AnyBulkWriteOperation<OrderIndexDoc>[] = guarded.map(
				({ order, known, diff }) => ({
					updateOne: {
						// Activity alone is written by `_id` only (an index lookup even on FerretDB,
						// which scans for any other filter): if the web app wrote the row meanwhile,
						// it writes the document next, and that change is projected from a fresh read
						// because the guard of its status change no longer matches.
						filter: activityOnly(diff)
							? { _id: order.orderId }
							: {
									_id: order.orderId,
									status: known.row.status,
									partnerId: known.row.partnerId,
									updatedAt: known.row.updatedAt
								},
						update: { $set: diff }
					}
				})
			);
			const result = await bulkWriteInChunks(this.options.collections.orders, operations);
			if (result.matchedCount === guarded.length) {
				for (const { order, known, diff } of guarded) {
					this.remember(order.document, { ...known.row, ...diff }, known.decision);
					this.afterIndexChange(known.row, diff);
				}
			} else {
				// someone else wrote some of these rows meanwhile: project those from fresh reads
				for (const { order } of guarded) {
					this.known.delete(order.document);
					unknown.push(order);
				}
			}
		}
		await Promise.all(
			unknown.map((order) =>
				this.projectFresh(order).catch((error: unknown) => {
					order.failed = true;
					this.options.log.error({ err: error, orderId: order.orderId }, 'order projection failed');
				})
			)
		);
	}

	/** The projection without the cache: read the row and the decision, write what differs. */
	private async projectFresh(order: ProjectedOrder): Promise<void> {
		// `projectIndex` looks at the claim decision only for an order without an assignment; an
		// assigned one (most orders a storm loads) is one read, not two
		const [row, decision] = await Promise.all([
			this.readRow(order.orderId),
			order.view.assignment ? null : this.readDecision(order.orderId)
		]);
		if (row === null) {
			// Not (or no longer) in the index: the web app rolled its creation back.
			order.member = [];
			return;
		}
		this.options.activity.settled(order.orderId);
		const next = projectIndex(order.view, decision, row);
		const diff = changedFields(row, next);
		if (diff !== null) {
			await this.options.collections.orders.updateOne({ _id: order.orderId }, { $set: diff });
			this.afterIndexChange(row, diff);
		}
		this.remember(order.document, diff === null ? row : { ...row, ...diff }, decision);
	}

	private remember(document: SyncDocument, row: OrderIndexDoc, decision: ClaimDecision): void {
		if (!document.released) this.known.set(document, { row, decision });
	}

	/**
	 * The board's partner stats count delivered orders and ratings: refresh them when an order
	 * reaches or leaves `delivered` (or changes partner while delivered) or gets its rating.
	 */
	private afterIndexChange(before: OrderIndexDoc, diff: Partial<IndexProjection>): void {
		const after = { ...before, ...diff };
		const delivered = before.status === 'delivered' || after.status === 'delivered';
		const relevant = 'rating' in diff || (delivered && ('status' in diff || 'partnerId' in diff));
		if (!relevant) return;
		const partners = new Set([before.partnerId, after.partnerId]);
		for (const partnerId of partners) {
			if (partnerId) this.options.onPartnerStatsChanged?.(partnerId);
		}
	}
}
