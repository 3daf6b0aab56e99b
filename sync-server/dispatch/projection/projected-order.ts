// An order as one projection sees it: read from its loaded document (`readOrderCached`), with the
// feeds it belongs in now and every feed it may have to leave. The feeds are worked out again only
// when what decides them (open or not, the partner, the customer) changed.
import {
	feedDocName,
	feedsForOrder,
	readOrderCached,
	type OrderView
} from '../../../src/lib/order/index.ts';
import type { SyncDocument } from '../../core/document.ts';

/** One order of a batch, read from its document. */
export interface ProjectedOrder {
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

/** The order in a loaded document; null while it has no `meta` yet (nothing to show anywhere). */
export function readProjectedOrder(orderId: string, document: SyncDocument): ProjectedOrder | null {
	const view = readOrderCached(document.doc);
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
