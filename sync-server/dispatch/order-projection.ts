// Keeps the `orders` index and the feed documents in step with the order documents (DESIGN.md
// "Feeds", issue 4 item 3). Every change to an order document, from a client or from the service
// channel, schedules a projection of that order; loading an order document schedules one too,
// which heals a crash between a document change and its projection.
//
// A projection reads the order (`readOrderCached`), updates its index row (only an existing row:
// the web app creates rows, and a row it removed again means the order does not exist), puts the
// order's entry into every feed it belongs to now and takes it out of the feeds it left.
//
// Cost per change (docs/performance.md, cause 3): changes are gathered for `coalesceMs` and all
// orders changed meanwhile are projected as one batch: their index rows in one bulk write, and
// each feed document written once, in one transaction, for all of them (one Yjs update to store
// and broadcast per feed and batch, not per order). The index row last read or written is kept
// per loaded order document, so a change that leaves the row as it is costs no database round
// trip, and one that changes it is a single guarded update: it applies only while the row still
// holds what this process knows (status, partner, updatedAt), which is what every write of the
// web app (claims, cancellations and their rollbacks) changes. A guarded update that matches
// nothing means the web app wrote meanwhile: the row and the claim decision are read again and
// the order projected from them, as without the cache.
//
// A change that moves only the row's activity fields (`updatedAt`, `conflicts`) is written at
// most every `indexLazyMs` per order: lists and history pages sort and window by them, live
// screens read the feeds. Status, partner, timestamps of steps and ratings are written at once.
// Stopping writes everything still deferred. Such a write is by `_id` alone, without the guard:
// overwriting activity is harmless, and a web app write it might race is always followed by a
// document change whose guarded write then misses and is projected afresh.
//
// A feed nobody has open is written at most every `feedLazyMs`: the first change after a quiet
// spell at once, later ones owed and written together when that time is up. A socket joining a
// feed that is owed changes gets them with the next batch, and stopping writes all of them.
import type * as Y from 'yjs';
import {
	feedDocName,
	feedKindOf,
	feedEntryFor,
	feedMap,
	feedsForOrder,
	isFinalStatus,
	lastActivityAt,
	orderDocName,
	parseDocName,
	readOrderCached,
	removeFeedEntry,
	writeFeedEntry,
	type FeedKind,
	type OrderStatus,
	type OrderView
} from '../../src/lib/order/index.ts';
import type { AnyBulkWriteOperation } from 'mongodb';
import {
	bulkWriteInChunks,
	type Collections,
	type OrderClaimDoc,
	type OrderIndexDoc
} from '../../src/lib/shared/db.ts';
import { batchedFindById, type FindById } from '../../src/lib/shared/find-by-id.ts';
import type { Logger } from '../../src/lib/shared/log.ts';
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
	/** How long changes are gathered before the changed orders are projected (default 250). */
	coalesceMs?: number;
	/** How long an index row's activity-only change may wait (default 5000). */
	indexLazyMs?: number;
	/** How long a feed nobody has open may go without being written (default 60000). */
	feedLazyMs?: number;
	/** Called when a partner's delivered count or rating may have changed. */
	onPartnerStatsChanged?: (partnerId: string) => void;
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
	let partnerId: string | null = null;
	let partnerName: string | null = null;
	let claimedAt: Date | null = null;
	if (view.assignment) {
		partnerId = view.assignment.partnerId;
		partnerName = view.assignment.partnerName;
		claimedAt = dateOrNull(view.assignment.claimedAt);
	} else if (decision?.kind === 'claim') {
		partnerId = decision.userId;
		partnerName = decision.userName;
		claimedAt = decision.at;
		if (status === 'pending') status = 'accepted';
	} else if (row?.partnerId) {
		partnerId = row.partnerId;
		partnerName = row.partnerName ?? null;
		claimedAt = row.claimedAt ?? null;
		if (status === 'pending') status = row.status;
	}
	if (status === 'pending' && decision?.kind === 'cancel') status = 'cancelled';
	const cancelledAt =
		status === 'cancelled'
			? (reachedAt(view, 'cancelled') ?? (decision?.kind === 'cancel' ? decision.at : null))
			: null;
	return {
		status,
		partnerId,
		partnerName,
		claimedAt,
		deliveredAt: status === 'delivered' ? reachedAt(view, 'delivered') : null,
		cancelledAt,
		rating: view.rating ? { stars: view.rating.stars, comment: view.rating.comment } : null,
		conflicts: view.fold.conflictCount,
		updatedAt: dateOrNull(lastActivityAt(view)) ?? new Date()
	};
}

// A stored row is compared field by field with what it should hold (this runs for every changed
// order in every batch). A field missing from the row counts as null; a value of an unexpected
// type counts as different, so the row is written again.
function sameScalar(stored: unknown, next: string | number | null): boolean {
	return (stored ?? null) === next;
}

function sameDate(stored: unknown, next: Date | null): boolean {
	if (next === null) return stored === null || stored === undefined;
	return stored instanceof Date && stored.getTime() === next.getTime();
}

function sameRating(stored: unknown, next: IndexProjection['rating']): boolean {
	if (next === null) return stored === null || stored === undefined;
	if (typeof stored !== 'object' || stored === null) return false;
	const { stars, comment } = stored as Record<string, unknown>;
	return stars === next.stars && comment === next.comment;
}

/** Fields that only record activity: a change to nothing else may wait (see the header). */
export function activityOnly(diff: Partial<IndexProjection>): boolean {
	for (const key in diff) if (key !== 'updatedAt' && key !== 'conflicts') return false;
	return true;
}

/** How each field of the index row is compared (every field of `IndexProjection`, by its type). */
const SAME_FIELD: {
	[K in keyof IndexProjection]-?: (stored: unknown, next: IndexProjection[K]) => boolean;
} = {
	status: sameScalar,
	partnerId: sameScalar,
	partnerName: sameScalar,
	claimedAt: sameDate,
	deliveredAt: sameDate,
	cancelledAt: sameDate,
	rating: sameRating,
	conflicts: sameScalar,
	updatedAt: sameDate
};
const INDEX_FIELDS = Object.keys(SAME_FIELD) as Array<keyof IndexProjection>;

/** Only the fields that differ from the stored row; null when none does. */
export function changedFields(
	row: OrderIndexDoc,
	next: IndexProjection
): Partial<IndexProjection> | null {
	let diff: Record<string, unknown> | null = null;
	for (const key of INDEX_FIELDS) {
		const same = SAME_FIELD[key] as (stored: unknown, next: unknown) => boolean;
		if (!same(row[key], next[key])) (diff ??= {})[key] = next[key];
	}
	return diff as Partial<IndexProjection> | null;
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
 * Applies a feed's window: `feed/admin` keeps active orders only (the board pages finished ones
 * from the index over HTTP); personal feeds keep active orders and the newest finished ones.
 * Returns how many entries it removed.
 */
export function pruneFeed(doc: Y.Doc, kind: FeedKind, origin?: unknown): number {
	const map = feedMap(doc);
	const stale: string[] = [];
	if (kind === 'admin') {
		for (const [id, value] of map.entries()) {
			if (isFinalEntry((value ?? {}) as RawEntry)) stale.push(id);
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

/** Removes the entries whose time is at or before `cutoff`. */
export function dropOlderThan(times: Map<string, number>, cutoff: number): void {
	for (const [key, at] of times) if (at <= cutoff) times.delete(key);
}

type Decision = Pick<OrderClaimDoc, 'kind' | 'userId' | 'userName' | 'at'> | null;

/** What this process last read from, or wrote to, an order's index row and claim decision. */
interface KnownRow {
	row: OrderIndexDoc;
	decision: Decision;
}

/** One order of a batch, read from its document. */
interface Projected {
	orderId: string;
	document: SyncDocument;
	view: OrderView;
	/** The feeds it belongs in; empty when the index has no row for it (never changed in place). */
	member: readonly string[];
	/** The feeds it may be in: those it belongs in and those it may have left. */
	candidates: readonly string[];
	/** Its index row could not be brought up to date: its feeds are left as they are. */
	failed: boolean;
}

/** The feeds an order belongs in, and those it may have to leave, as last worked out. */
interface FeedTargets {
	open: boolean;
	partnerId: string | null;
	customerId: string;
	member: string[];
	/** Every feed that may hold the order: its own, `feed/open` and `feed/admin`. */
	candidates: string[];
}

const feedTargetsByDocument = new WeakMap<SyncDocument, FeedTargets>();

/** The feeds of an order, worked out again only when what decides them changed. */
function feedTargets(document: SyncDocument, view: OrderView): FeedTargets {
	const open = view.status === 'pending' && view.assignment === null;
	const partnerId = view.assignment?.partnerId ?? null;
	const customerId = view.meta.customerId;
	const known = feedTargetsByDocument.get(document);
	if (
		known !== undefined &&
		known.open === open &&
		known.partnerId === partnerId &&
		known.customerId === customerId
	) {
		return known;
	}
	const member = feedsForOrder(view);
	const candidates = new Set([feedDocName('admin'), feedDocName('open'), ...member]);
	const targets = { open, partnerId, customerId, member, candidates: [...candidates] };
	feedTargetsByDocument.set(document, targets);
	return targets;
}

function projected(orderId: string, document: SyncDocument): Projected | null {
	const view = readOrderCached(document.doc);
	// no meta yet: nothing to show anywhere
	if (view === null) return null;
	const targets = feedTargets(document, view);
	return {
		orderId,
		document,
		view,
		member: targets.member,
		candidates: targets.candidates,
		failed: false
	};
}

/**
 * A batch works through its orders and feeds in slices, giving the event loop back in between:
 * for loaded documents every step would otherwise resolve at once, and a batch of hundreds of
 * orders would hold back every socket's messages until it is done.
 */
const SLICE = 25;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Default for `coalesceMs`: boards show a change within about a quarter of a second. */
export const PROJECTION_COALESCE_MS = 250;

/** Default for `indexLazyMs`. */
export const INDEX_LAZY_MS = 5_000;

/** Default for `feedLazyMs`. */
export const FEED_LAZY_MS = 60_000;

/** Changes owed to a feed nobody had open: the orders, and since when the first one waits. */
interface OwedFeed {
	since: number;
	orders: Set<string>;
}

export class OrderProjection {
	private readonly pending = new Set<string>();
	/** Orders of the batch being projected (their loading must not schedule them again). */
	private readonly projecting = new Set<string>();
	private readonly known = new WeakMap<SyncDocument, KnownRow>();
	private timer: NodeJS.Timeout | null = null;
	private running: Promise<void> | null = null;
	private readonly coalesceMs: number;
	private readonly indexLazyMs: number;
	/** Orders whose row has an activity-only change waiting, and since when. */
	private readonly deferred = new Map<string, number>();
	private deferredTimer: NodeJS.Timeout | null = null;
	private readonly feedLazyMs: number;
	/** When each feed was last written (feeds nobody has open wait `feedLazyMs` between writes). */
	private readonly feedWrittenAt = new Map<string, number>();
	private writesForgottenAt = 0;
	private readonly owedFeeds = new Map<string, OwedFeed>();
	/** The same, by order: the feeds that are owed each order's entry. */
	private readonly owedByOrder = new Map<string, Set<string>>();
	/** Feeds to write in the next batch whoever has them open (owed changes are being paid). */
	private readonly forcedFeeds = new Set<string>();
	private owedTimer: NodeJS.Timeout | null = null;
	private stopped = false;

	/** Index rows and claim decisions of orders as they load, batched (a storm loads hundreds). */
	private readonly readRow: FindById<OrderIndexDoc>;
	private readonly readDecision: FindById<OrderClaimDoc>;

	constructor(private readonly options: ProjectionOptions) {
		this.readRow = batchedFindById(options.collections.orders);
		this.readDecision = batchedFindById(options.collections.orderClaims);
		this.coalesceMs = options.coalesceMs ?? PROJECTION_COALESCE_MS;
		this.indexLazyMs = options.indexLazyMs ?? INDEX_LAZY_MS;
		this.feedLazyMs = options.feedLazyMs ?? FEED_LAZY_MS;
	}

	/** How many order entries feeds nobody has open are owed now (for the metrics). */
	owedEntries(): number {
		let count = 0;
		for (const feeds of this.owedByOrder.values()) count += feeds.size;
		return count;
	}

	/** The core's `changed` hook: any change to an order document. */
	changed(docName: string): void {
		const name = parseDocName(docName);
		if (name?.kind === 'order') this.schedule(name.orderId);
	}

	/** The core's `joined` hook: a feed that someone opens gets what it is owed now. */
	joined(docName: string): void {
		if (this.owedFeeds.has(docName)) this.payOwed(docName);
	}

	/** The core's `loaded` hook: reconcile an order as it is loaded (unless we loaded it). */
	loaded(document: SyncDocument): void {
		const name = parseDocName(document.name);
		if (name?.kind !== 'order' || this.projecting.has(name.orderId)) return;
		this.schedule(name.orderId);
	}

	schedule(orderId: string): void {
		if (this.stopped) return;
		this.pending.add(orderId);
		this.arm();
	}

	/** Projects everything scheduled now and waits for running projections; then stops. */
	async stop(): Promise<void> {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		if (this.deferredTimer) clearTimeout(this.deferredTimer);
		this.deferredTimer = null;
		if (this.owedTimer) clearTimeout(this.owedTimer);
		this.owedTimer = null;
		// deferred rows and owed feeds are written now (a stopped projection defers nothing)
		for (const orderId of this.deferred.keys()) this.pending.add(orderId);
		for (const owed of this.owedFeeds.values()) {
			for (const orderId of owed.orders) this.pending.add(orderId);
		}
		while (this.running || this.pending.size > 0) {
			if (!this.running) this.run();
			await this.running;
		}
	}

	/** Resolves once nothing is scheduled or running (for tests and shutdown). */
	async idle(): Promise<void> {
		while (this.running || this.pending.size > 0) {
			if (this.running) await this.running;
			else await new Promise((resolve) => setTimeout(resolve, this.coalesceMs));
		}
	}

	private arm(): void {
		if (this.timer || this.running || this.pending.size === 0) return;
		this.timer = setTimeout(() => {
			this.timer = null;
			this.run();
		}, this.coalesceMs);
		this.timer.unref();
	}

	private run(): void {
		const batch = [...this.pending];
		this.pending.clear();
		for (const orderId of batch) this.projecting.add(orderId);
		this.running = this.projectBatch(batch)
			.catch((error: unknown) => {
				this.options.log.error({ err: error, orders: batch.length }, 'order projection failed');
			})
			.finally(() => {
				this.projecting.clear();
				this.running = null;
				// what changed while this batch ran goes in the next (at once when stopping)
				if (!this.stopped) this.arm();
			});
	}

	private async projectBatch(orderIds: string[]): Promise<void> {
		const read: Array<Projected | null> = [];
		for (let i = 0; i < orderIds.length; i += SLICE) {
			if (i > 0) await yieldToEventLoop();
			const slice = orderIds.slice(i, i + SLICE).map((orderId) =>
				this.readDocument(orderId).catch((error: unknown) => {
					this.options.log.error({ err: error, orderId }, 'order projection failed');
					return null;
				})
			);
			read.push(...(await Promise.all(slice)));
		}
		const orders = read.filter((entry) => entry !== null);
		if (orders.length === 0) return;
		await this.updateIndex(orders);
		await this.updateFeeds(orders.filter((order) => !order.failed));
	}

	private async readDocument(orderId: string): Promise<Projected | null> {
		return this.options.server.withDocument(orderDocName(orderId), (document) =>
			projected(orderId, document)
		);
	}

	/**
	 * The core's `unload` hook, before an order document is released: its deferred index row and
	 * its entries in feeds that are owed them are written now, from the document in hand (paid
	 * later, they would load it again).
	 */
	async unloading(document: SyncDocument): Promise<void> {
		const name = parseDocName(document.name);
		if (name?.kind !== 'order') return;
		const { orderId } = name;
		const owing = [...(this.owedByOrder.get(orderId) ?? [])];
		if (owing.length === 0 && !this.deferred.has(orderId)) return;
		const order = projected(orderId, document);
		if (order === null) return;
		await this.updateIndex([order], { now: true });
		if (order.failed) return;
		await Promise.all(
			owing.map((feed) => {
				const kind = feedKindOf(feed);
				this.paidOne(feed, orderId);
				return kind === null ? undefined : this.writeFeedDocument(feed, kind, [order]);
			})
		);
	}

	/**
	 * Brings the index rows of a batch up to date; sets each order's feed membership. With `now`,
	 * activity-only changes are written too instead of waiting.
	 */
	private async updateIndex(orders: Projected[], { now = false } = {}): Promise<void> {
		const { collections } = this.options;
		const guarded: Array<{ order: Projected; known: KnownRow; diff: Partial<IndexProjection> }> =
			[];
		const unknown: Projected[] = [];
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
				this.deferred.delete(entry.orderId);
			} else if (!now && activityOnly(diff) && this.mayWait(entry.orderId)) {
				continue;
			} else {
				this.deferred.delete(entry.orderId);
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
			const result = await bulkWriteInChunks(collections.orders, operations);
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

	/** True (and remembered) while an activity-only change of this order may still wait. */
	private mayWait(orderId: string): boolean {
		if (this.stopped || this.indexLazyMs === 0) return false;
		const now = Date.now();
		const since = this.deferred.get(orderId);
		if (since === undefined) {
			this.deferred.set(orderId, now);
			this.armDeferred();
			return true;
		}
		return now - since < this.indexLazyMs;
	}

	/**
	 * Wakes up when the oldest waiting change is due and schedules every due order (the batch
	 * writes them and forgets them); then waits for the next one not yet due.
	 */
	private armDeferred(): void {
		if (this.deferredTimer || this.stopped) return;
		const now = Date.now();
		let first = Infinity;
		for (const since of this.deferred.values()) {
			if (now - since < this.indexLazyMs) first = Math.min(first, since);
		}
		if (first === Infinity) return;
		this.deferredTimer = setTimeout(
			() => {
				this.deferredTimer = null;
				const at = Date.now();
				for (const [orderId, since] of this.deferred) {
					if (at - since >= this.indexLazyMs) this.schedule(orderId);
				}
				this.armDeferred();
			},
			first + this.indexLazyMs - now
		);
		this.deferredTimer.unref();
	}

	/** The projection without the cache: read the row and the decision, write what differs. */
	private async projectFresh(order: Projected): Promise<void> {
		const { collections } = this.options;
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
		this.deferred.delete(order.orderId);
		const next = projectIndex(order.view, decision, row);
		const diff = changedFields(row, next);
		if (diff !== null) {
			await collections.orders.updateOne({ _id: order.orderId }, { $set: diff });
			this.afterIndexChange(row, diff);
		}
		this.remember(order.document, diff === null ? row : { ...row, ...diff }, decision);
	}

	private remember(document: SyncDocument, row: OrderIndexDoc, decision: Decision): void {
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

	/** Each feed a batch touches is written once, in one transaction, for all its orders. */
	private async updateFeeds(orders: Projected[]): Promise<void> {
		const byFeed = new Map<string, Projected[]>();
		for (const order of orders) {
			for (const name of order.candidates) {
				let list = byFeed.get(name);
				if (list === undefined) byFeed.set(name, (list = []));
				list.push(order);
			}
		}
		const now = Date.now();
		// Feeds are written a slice at a time, the slice's writes side by side: a feed nobody has
		// open is loaded first, and a storm's hundreds of feed loads then share their reads.
		let slice: Array<Promise<void>> = [];
		for (const [name, members] of byFeed) {
			const kind = feedKindOf(name);
			if (kind === null) continue;
			if (!this.feedIsDue(name, now)) {
				this.owe(name, members, now);
				continue;
			}
			if (this.feedLazyMs > 0) this.feedWrittenAt.set(name, now);
			this.forcedFeeds.delete(name);
			const owed = this.owedFeeds.get(name);
			if (owed) {
				// this batch writes some of what it owes; the rest goes in the next, whatever its age
				this.paidAll(name, owed);
				const written = new Set(members.map((order) => order.orderId));
				const rest = [...owed.orders].filter((orderId) => !written.has(orderId));
				if (rest.length > 0) {
					this.forcedFeeds.add(name);
					for (const orderId of rest) this.schedule(orderId);
				}
			}
			slice.push(this.writeFeedDocument(name, kind, members));
			if (slice.length === SLICE) {
				await Promise.all(slice);
				slice = [];
				await yieldToEventLoop();
			}
		}
		await Promise.all(slice);
		this.forgetOldWrites(now);
	}

	/**
	 * A feed last written `feedLazyMs` ago is due as if it had never been written: its time is
	 * dropped (looked over once per `feedLazyMs`), so the map holds recent feeds, not every feed
	 * since the start.
	 */
	private forgetOldWrites(now: number): void {
		if (now - this.writesForgottenAt < this.feedLazyMs) return;
		this.writesForgottenAt = now;
		dropOlderThan(this.feedWrittenAt, now - this.feedLazyMs);
	}

	private async writeFeedDocument(
		name: string,
		kind: FeedKind,
		members: Projected[]
	): Promise<void> {
		try {
			await this.options.server.withDocument(name, (document) => {
				document.doc.transact(() => {
					let finished = false;
					for (const order of members) {
						if (this.writeFeed(document.doc, name, kind, order)) finished = true;
					}
					if (finished) pruneFeed(document.doc, kind, FEED_ORIGIN);
				}, FEED_ORIGIN);
			});
		} catch (error) {
			this.options.log.error({ err: error, feed: name }, 'feed projection failed');
		}
	}

	/** Whether a feed is written in this batch (see the header: feeds nobody has open wait). */
	private feedIsDue(name: string, now: number): boolean {
		if (this.stopped || this.feedLazyMs === 0 || this.forcedFeeds.has(name)) return true;
		if (this.options.server.isWatched(name)) return true;
		const owed = this.owedFeeds.get(name);
		if (owed) return now - owed.since >= this.feedLazyMs;
		return now - (this.feedWrittenAt.get(name) ?? -Infinity) >= this.feedLazyMs;
	}

	private owe(name: string, members: Projected[], now: number): void {
		let owed = this.owedFeeds.get(name);
		if (owed === undefined) this.owedFeeds.set(name, (owed = { since: now, orders: new Set() }));
		for (const { orderId } of members) {
			owed.orders.add(orderId);
			let feeds = this.owedByOrder.get(orderId);
			if (feeds === undefined) this.owedByOrder.set(orderId, (feeds = new Set()));
			feeds.add(name);
		}
		this.armOwed();
	}

	/** A feed no longer owes anything (its owed orders are written or scheduled). */
	private paidAll(name: string, owed: OwedFeed): void {
		if (this.owedFeeds.get(name) === owed) this.owedFeeds.delete(name);
		for (const orderId of owed.orders) this.forgetOwedOrder(orderId, name);
	}

	/** A feed no longer owes one order's entry. */
	private paidOne(name: string, orderId: string): void {
		const owed = this.owedFeeds.get(name);
		if (owed !== undefined) {
			owed.orders.delete(orderId);
			if (owed.orders.size === 0) this.owedFeeds.delete(name);
		}
		this.forgetOwedOrder(orderId, name);
	}

	private forgetOwedOrder(orderId: string, name: string): void {
		const feeds = this.owedByOrder.get(orderId);
		if (feeds === undefined) return;
		feeds.delete(name);
		if (feeds.size === 0) this.owedByOrder.delete(orderId);
	}

	/** Schedules a feed's owed orders, to be written in the next batch. */
	private payOwed(name: string): void {
		const owed = this.owedFeeds.get(name);
		if (!owed) return;
		this.forcedFeeds.add(name);
		for (const orderId of owed.orders) this.schedule(orderId);
	}

	/** Wakes up when the oldest owed feed is due and pays every due one. */
	private armOwed(): void {
		if (this.owedTimer || this.stopped) return;
		let first = Infinity;
		for (const [name, owed] of this.owedFeeds) {
			if (!this.forcedFeeds.has(name)) first = Math.min(first, owed.since);
		}
		if (first === Infinity) return;
		this.owedTimer = setTimeout(
			() => {
				this.owedTimer = null;
				const now = Date.now();
				for (const [name, owed] of this.owedFeeds) {
					if (now - owed.since >= this.feedLazyMs && !this.forcedFeeds.has(name)) {
						this.payOwed(name);
					}
				}
				this.armOwed();
			},
			Math.max(0, first + this.feedLazyMs - Date.now())
		);
		this.owedTimer.unref();
	}

	/** Puts the order's entry into the feed or takes it out; true if a finished entry was written. */
	private writeFeed(
		doc: Y.Doc,
		name: string,
		kind: FeedKind,
		{ view, member }: Projected
	): boolean {
		const orderId = view.meta.orderId;
		if (!member.includes(name)) {
			removeFeedEntry(doc, orderId, FEED_ORIGIN);
			return false;
		}
		const entry = feedEntryFor(view, kind);
		const final = isFinalStatus(entry.status);
		if (kind === 'admin' && final) {
			// the board shows active orders live; finished ones come from the index (GET /api/orders)
			removeFeedEntry(doc, orderId, FEED_ORIGIN);
			return false;
		}
		writeFeedEntry(doc, entry, FEED_ORIGIN);
		return final;
	}

	/** Applies feed/admin's window now (finished orders a stored copy still holds leave it). */
	async pruneAdminFeed(): Promise<void> {
		if (this.stopped) return;
		await this.options.server.withDocument(feedDocName('admin'), (document) => {
			pruneFeed(document.doc, 'admin', FEED_ORIGIN);
		});
	}
}
