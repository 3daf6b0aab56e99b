// What an order's row in the `orders` index should hold, worked out from its document, and which
// fields of a stored row differ from that. No I/O: the index writer (index-writer.ts) reads and
// writes the rows.
import { lastActivityAt, type OrderStatus, type OrderView } from '../../../src/lib/order/index.ts';
import type { OrderClaimDoc, OrderIndexDoc } from '../../../src/lib/shared/db.ts';

/** The fields of an index row the projection derives from the order document. */
export type IndexProjection = Pick<
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

/** The web app's claim decision of an order (`order_claims`), or null when there is none. */
export type ClaimDecision = Pick<OrderClaimDoc, 'kind' | 'userId' | 'userName' | 'at'> | null;

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
	decision: ClaimDecision,
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

/**
 * True when a change touches only the fields that record activity (`updatedAt`, `conflicts`):
 * lists and history sort and window by them, live screens read the feeds, so such a change may
 * wait (deferred-activity.ts).
 */
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
