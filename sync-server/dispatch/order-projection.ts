// Keeps the `orders` index and the feed documents in step with the order documents (DESIGN.md
// "Feeds", issue 4 item 3). Every change to an order document, from a client or from the service
// channel, schedules a projection of that order (coalesced per order); loading an order document
// schedules one too, which heals a crash between a document change and its projection.
//
// A projection reads the order (`readOrder`), updates its index row (only an existing row: the
// web app creates rows, and a row it removed again means the order does not exist), puts the
// order's entry into every feed it belongs to now and takes it out of the feeds it left.
import type * as Y from 'yjs';
import {
	feedDocName,
	feedKindOf,
	feedEntryFor,
	feedMap,
	feedsForOrder,
	isFinalStatus,
	orderDocName,
	parseDocName,
	readOrder,
	removeFeedEntry,
	writeFeedEntry,
	type FeedKind,
	type OrderStatus,
	type OrderView
} from '../../src/lib/order/index.ts';
import type { Collections, OrderClaimDoc, OrderIndexDoc } from '../../src/lib/server/db.ts';
import type { Logger } from '../../src/lib/server/log.ts';
import type { SyncDocument } from '../core/document.ts';
import type { SyncServer } from '../core/server.ts';
import type { DispatchPrincipal } from './principal.ts';

/** Transaction origin of the server's writes into feed documents. */
export const FEED_ORIGIN = Symbol('feed');

/** Personal feeds keep every active order and this many finished ones (the newest). */
export const PERSONAL_FEED_FINISHED = 50;

export interface ProjectionOptions {
	server: SyncServer<DispatchPrincipal>;
	collections: Collections;
	log: Logger;
	/** How long changes to one order are gathered before it is projected. */
	coalesceMs?: number;
	/** Called when a partner's delivered count or rating may have changed. */
	onPartnerStatsChanged?: (partnerId: string) => void;
	/** The start of "today" for feed/admin's window (default: local midnight). */
	startOfToday?: () => Date;
}

type IndexProjection = Pick<
	OrderIndexDoc,
	| 'status'
	| 'partnerId'
	| 'partnerName'
	| 'claimedAt'
	| 'deliveredAt'
	| 'cancelledAt'
	| 'rating'
	| 'conflicts'
	| 'updatedAt'
>;

function localMidnight(): Date {
	const now = new Date();
	now.setHours(0, 0, 0, 0);
	return now;
}

function dateOrNull(iso: string | null | undefined): Date | null {
	if (!iso) return null;
	const ms = Date.parse(iso);
	return Number.isNaN(ms) ? null : new Date(ms);
}

/** When the applied step that moved the order to `status` happened (its event's time). */
function reachedAt(view: OrderView, status: OrderStatus): Date | null {
	const steps = view.fold.steps;
	for (let i = steps.length - 1; i >= 0; i--) {
		const step = steps[i]!;
		if (step.applied && step.statusAfter === status) return dateOrNull(step.event.at);
	}
	return null;
}

/**
 * The index row's derived fields. The status and the partner are the document's, except while
 * the document does not show the claim yet: the web app decides a claim (or a customer's cancel)
 * in `order_claims` and writes the index before it writes the document, so such a decision, or
 * a partner already in the row, is kept until the document catches up.
 */
export function projectIndex(
	view: OrderView,
	decision: Pick<OrderClaimDoc, 'kind' | 'userId' | 'userName' | 'at'> | null,
	row: Pick<OrderIndexDoc, 'status' | 'partnerId' | 'partnerName' | 'claimedAt'> | null = null
): IndexProjection {
	let status = view.status;
	let partner: { partnerId: string | null; partnerName: string | null; claimedAt: Date | null } = {
		partnerId: null,
		partnerName: null,
		claimedAt: null
	};
	if (view.assignment) {
		partner = {
			partnerId: view.assignment.partnerId,
			partnerName: view.assignment.partnerName,
			claimedAt: dateOrNull(view.assignment.claimedAt)
		};
	} else if (decision?.kind === 'claim') {
		partner = {
			partnerId: decision.userId,
			partnerName: decision.userName,
			claimedAt: decision.at
		};
		if (status === 'pending') status = 'accepted';
	} else if (row?.partnerId) {
		partner = {
			partnerId: row.partnerId,
			partnerName: row.partnerName ?? null,
			claimedAt: row.claimedAt ?? null
		};
		if (status === 'pending') status = row.status;
	}
	if (status === 'pending' && decision?.kind === 'cancel') status = 'cancelled';
	const cancelledAt =
		status === 'cancelled'
			? (reachedAt(view, 'cancelled') ?? (decision?.kind === 'cancel' ? decision.at : null))
			: null;
	return {
		status,
		...partner,
		deliveredAt: status === 'delivered' ? reachedAt(view, 'delivered') : null,
		cancelledAt,
		rating: view.rating ? { stars: view.rating.stars, comment: view.rating.comment } : null,
		conflicts: view.fold.conflicts.length,
		updatedAt: dateOrNull(feedEntryFor(view, 'admin').updatedAt) ?? new Date()
	};
}

function sameValue(a: unknown, b: unknown): boolean {
	if (a instanceof Date || b instanceof Date) {
		return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
	}
	return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Only the fields that differ from the stored row. */
function changedFields(row: OrderIndexDoc, next: IndexProjection): Partial<IndexProjection> {
	const diff: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(next)) {
		if (!sameValue(row[key as keyof OrderIndexDoc], value)) diff[key] = value;
	}
	return diff as Partial<IndexProjection>;
}

interface RawEntry {
	status?: unknown;
	updatedAt?: unknown;
}

function entryTime(value: RawEntry): number {
	const ms = typeof value.updatedAt === 'string' ? Date.parse(value.updatedAt) : NaN;
	return Number.isNaN(ms) ? 0 : ms;
}

function isFinalEntry(value: RawEntry): boolean {
	return value.status === 'delivered' || value.status === 'cancelled';
}

/**
 * Applies a feed's window: `feed/admin` keeps active orders and those finished today; personal
 * feeds keep active orders and the newest finished ones. Returns how many entries it removed.
 */
export function pruneFeed(
	doc: Y.Doc,
	kind: FeedKind,
	startOfToday: Date,
	origin?: unknown
): number {
	const map = feedMap(doc);
	const stale: string[] = [];
	if (kind === 'admin') {
		const cutoff = startOfToday.getTime();
		for (const [id, value] of map.entries()) {
			const entry = (value ?? {}) as RawEntry;
			if (isFinalEntry(entry) && entryTime(entry) < cutoff) stale.push(id);
		}
	} else if (kind === 'customer' || kind === 'partner') {
		const finished: Array<[string, number]> = [];
		for (const [id, value] of map.entries()) {
			const entry = (value ?? {}) as RawEntry;
			if (isFinalEntry(entry)) finished.push([id, entryTime(entry)]);
		}
		if (finished.length > PERSONAL_FEED_FINISHED) {
			finished.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
			for (const [id] of finished.slice(PERSONAL_FEED_FINISHED)) stale.push(id);
		}
	}
	if (stale.length > 0) doc.transact(() => stale.forEach((id) => map.delete(id)), origin);
	return stale.length;
}

export class OrderProjection {
	private readonly timers = new Map<string, NodeJS.Timeout>();
	private readonly running = new Map<string, Promise<void>>();
	private readonly again = new Set<string>();
	private readonly coalesceMs: number;
	private stopped = false;

	constructor(private readonly options: ProjectionOptions) {
		this.coalesceMs = options.coalesceMs ?? 30;
	}

	/** The core's `changed` hook: any change to an order document. */
	changed(docName: string): void {
		const name = parseDocName(docName);
		if (name?.kind === 'order') this.schedule(name.orderId);
	}

	/** The core's `loaded` hook: reconcile an order as it is loaded (unless we loaded it). */
	loaded(document: SyncDocument): void {
		const name = parseDocName(document.name);
		if (name?.kind !== 'order' || this.running.has(name.orderId)) return;
		this.schedule(name.orderId);
	}

	schedule(orderId: string): void {
		if (this.stopped || this.timers.has(orderId)) return;
		const timer = setTimeout(() => this.run(orderId), this.coalesceMs);
		timer.unref();
		this.timers.set(orderId, timer);
	}

	/** Projects everything scheduled now and waits for running projections; then stops. */
	async stop(): Promise<void> {
		const scheduled = [...this.timers.keys()];
		for (const timer of this.timers.values()) clearTimeout(timer);
		this.timers.clear();
		for (const orderId of scheduled) this.run(orderId);
		this.stopped = true;
		while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
	}

	/** Resolves once nothing is scheduled or running (for tests and shutdown). */
	async idle(): Promise<void> {
		while (this.timers.size > 0 || this.running.size > 0) {
			await Promise.allSettled([...this.running.values()]);
			if (this.timers.size > 0)
				await new Promise((resolve) => setTimeout(resolve, this.coalesceMs));
		}
	}

	private run(orderId: string): void {
		this.timers.delete(orderId);
		if (this.running.has(orderId)) {
			this.again.add(orderId);
			return;
		}
		const task = this.project(orderId)
			.catch((error: unknown) => {
				this.options.log.error({ err: error, orderId }, 'order projection failed');
			})
			.finally(() => {
				this.running.delete(orderId);
				if (!this.again.delete(orderId)) return;
				// changed while projecting: once more (at once when stopping, so nothing is lost)
				if (this.stopped) this.run(orderId);
				else this.schedule(orderId);
			});
		this.running.set(orderId, task);
	}

	private async project(orderId: string): Promise<void> {
		const { server, collections } = this.options;
		const view = await server.withDocument(orderDocName(orderId), (document) =>
			readOrder(document.doc)
		);
		if (view === null) return; // no meta yet: nothing to show anywhere
		const [row, decision] = await Promise.all([
			collections.orders.findOne({ _id: orderId }),
			collections.orderClaims.findOne({ _id: orderId })
		]);
		if (row === null) {
			// Not (or no longer) in the index: the web app rolled its creation back.
			await this.updateFeeds(view, []);
			return;
		}
		const next = projectIndex(view, decision, row);
		const diff = changedFields(row, next);
		if (Object.keys(diff).length > 0) {
			await collections.orders.updateOne({ _id: orderId }, { $set: diff });
			const partnerId = next.partnerId;
			if (partnerId && ('status' in diff || 'rating' in diff)) {
				this.options.onPartnerStatsChanged?.(partnerId);
			}
		}
		await this.updateFeeds(view, feedsForOrder(view));
	}

	private async updateFeeds(view: OrderView, member: string[]): Promise<void> {
		const orderId = view.meta.orderId;
		const candidates = new Set([
			feedDocName('admin'),
			feedDocName('open'),
			feedDocName('customer', view.meta.customerId),
			...member
		]);
		if (view.assignment) candidates.add(feedDocName('partner', view.assignment.partnerId));
		const today = (this.options.startOfToday ?? localMidnight)();
		for (const name of candidates) {
			const kind = feedKindOf(name);
			if (kind === null) continue;
			const wanted = member.includes(name);
			await this.options.server.withDocument(name, (document) => {
				if (!wanted) {
					removeFeedEntry(document.doc, orderId, FEED_ORIGIN);
					return;
				}
				const entry = feedEntryFor(view, kind);
				const final = isFinalStatus(entry.status);
				if (kind === 'admin' && final && Date.parse(entry.updatedAt) < today.getTime()) {
					// finished before today: outside feed/admin's window (e.g. an old order reloaded)
					removeFeedEntry(document.doc, orderId, FEED_ORIGIN);
					return;
				}
				writeFeedEntry(document.doc, entry, FEED_ORIGIN);
				if (final) pruneFeed(document.doc, kind, today, FEED_ORIGIN);
			});
		}
	}

	/** Applies feed/admin's window now (finished orders from before today leave it). */
	async pruneAdminFeed(): Promise<void> {
		if (this.stopped) return;
		const today = (this.options.startOfToday ?? localMidnight)();
		await this.options.server.withDocument(feedDocName('admin'), (document) => {
			pruneFeed(document.doc, 'admin', today, FEED_ORIGIN);
		});
	}
}
