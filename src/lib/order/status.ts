// The order status state machine. Status is never stored: it is a pure fold over the `events`
// array, in array order, through TRANSITIONS (docs/architecture.md, "The order document"). The
// sync-server accepts an event only at the end of the array and only if it is admitted where it
// lands (admission.ts), so array order is the order the server accepted events in, and every
// replica folds the same array to the same status.
import type { Actor, EventType, OrderEvent } from './schema.ts';

/** The statuses of an order still under way, in lifecycle order (the admin board's columns). */
export const NON_FINAL_STATUSES = ['pending', 'accepted', 'preparing', 'out_for_delivery'] as const;
/** @internal for tests: status.test.ts */
export const FINAL_STATUSES = ['delivered', 'cancelled'] as const;
export const ORDER_STATUSES = [...NON_FINAL_STATUSES, ...FINAL_STATUSES] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export function isOrderStatus(value: string): value is OrderStatus {
	return (ORDER_STATUSES as readonly string[]).includes(value);
}

export function isFinalStatus(status: OrderStatus): boolean {
	return (FINAL_STATUSES as readonly OrderStatus[]).includes(status);
}

/**
 * Who may take a transition (the transition table's "who" column):
 * - `claimant`: a partner, through a claim; if the assignment is known, only its partner;
 * - `placing-customer`: the customer who placed the order;
 * - `assigned-partner`: the partner the order is assigned to;
 * - `admin`: any admin.
 */
export type Authority = 'claimant' | 'placing-customer' | 'assigned-partner' | 'admin';

/** What the domain knows about an order's people, for authority checks. */
export interface OrderFacts {
	customerId: string;
	partnerId: string | null;
}

interface Transition {
	from: readonly OrderStatus[];
	to: EventType;
	who: readonly Authority[];
	/** Written only by the server (the claim); never accepted from a client. */
	serverOnly: boolean;
}

/**
 * One row per row of the transition table (docs/architecture.md).
 * @internal for tests: status.test.ts
 */
export const TRANSITIONS: readonly Transition[] = [
	{ from: ['pending'], to: 'accepted', who: ['claimant'], serverOnly: true },
	{ from: ['pending'], to: 'cancelled', who: ['placing-customer', 'admin'], serverOnly: false },
	{ from: ['accepted'], to: 'preparing', who: ['assigned-partner', 'admin'], serverOnly: false },
	{
		from: ['preparing'],
		to: 'out_for_delivery',
		who: ['assigned-partner', 'admin'],
		serverOnly: false
	},
	{
		from: ['out_for_delivery'],
		to: 'delivered',
		who: ['assigned-partner', 'admin'],
		serverOnly: false
	},
	{ from: NON_FINAL_STATUSES, to: 'cancelled', who: ['admin'], serverOnly: false }
];

export function hasAuthority(actor: Actor, authority: Authority, facts: OrderFacts): boolean {
	switch (authority) {
		case 'admin':
			return actor.role === 'admin';
		case 'placing-customer':
			return actor.role === 'customer' && actor.userId === facts.customerId;
		case 'assigned-partner':
			return (
				actor.role === 'partner' && facts.partnerId !== null && actor.userId === facts.partnerId
			);
		case 'claimant':
			return (
				actor.role === 'partner' && (facts.partnerId === null || actor.userId === facts.partnerId)
			);
	}
}

const AUTHORITY_PHRASES: Record<Authority, string> = {
	claimant: 'the claiming partner',
	'placing-customer': 'the customer who placed the order',
	'assigned-partner': 'the assigned partner',
	admin: 'an admin'
};

/** "the assigned partner or an admin" */
function describeAuthorities(who: readonly Authority[]): string {
	const phrases = who.map((authority) => AUTHORITY_PHRASES[authority]);
	if (phrases.length <= 1) return phrases.join('');
	return `${phrases.slice(0, -1).join(', ')} or ${phrases[phrases.length - 1]}`;
}

export interface FoldStep {
	event: OrderEvent;
	applied: boolean;
	/** Why the event was not applied, for people (admin board, its author); null when applied. */
	conflict: string | null;
	statusBefore: OrderStatus;
	statusAfter: OrderStatus;
}

export interface FoldResult {
	status: OrderStatus;
	/** The furthest lifecycle step that happened (see FoldPosition). */
	progress: OrderStatus;
	steps: FoldStep[];
	conflicts: FoldStep[];
	/** `conflicts.length` (a reader that needs only the count does not copy the steps). */
	conflictCount: number;
	/** The newest event's time as written (an ISO time), or null without events. */
	latestEventAt: string | null;
}

/** `toISOString()`'s form (`2026-11-25T15:04:05.123Z`): such strings sort as their times do. */
function isCanonicalIso(time: string): boolean {
	return time.length === 24 && time.charCodeAt(23) === 90; // 'Z'
}

/** Is ISO time `time` later than `than`? Canonical times compare as strings, others are parsed. */
export function isLaterTime(time: string, than: string): boolean {
	if (isCanonicalIso(time) && isCanonicalIso(than)) return time > than;
	return Date.parse(time) > Date.parse(than);
}

function article(role: Actor['role']): string {
	return role === 'admin' ? 'an admin' : `a ${role}`;
}

/** The rows of TRANSITIONS by the event type they lead to (looked up for every event folded). */
const TRANSITIONS_TO: ReadonlyMap<EventType, readonly Transition[]> = (() => {
	const byType = new Map<EventType, Transition[]>();
	for (const row of TRANSITIONS) {
		let rows = byType.get(row.to);
		if (rows === undefined) byType.set(row.to, (rows = []));
		rows.push(row);
	}
	return byType;
})();

/** "out for delivery": a status as it reads inside a sentence. */
function inWords(status: OrderStatus): string {
	return STATUS_LABELS[status].toLowerCase();
}

/**
 * Why `event` cannot move the order from `status`, or null if it can: a clause for people ("the
 * order was already cancelled, which is final"), shown after "did not apply:" on every page.
 */
function conflictReason(status: OrderStatus, event: OrderEvent, facts: OrderFacts): string | null {
	if (isFinalStatus(status)) return `the order was already ${inWords(status)}, which is final`;
	if (status === event.type) return `the order was already ${inWords(status)}`;
	const rows = (TRANSITIONS_TO.get(event.type) ?? []).filter((row) => row.from.includes(status));
	if (rows.length === 0) {
		return `an order that is ${inWords(status)} cannot be moved to ${inWords(event.type)}`;
	}
	const author: Actor = { userId: event.by, role: event.role };
	if (rows.some((row) => row.who.some((authority) => hasAuthority(author, authority, facts)))) {
		return null;
	}
	const who = [...new Set(rows.flatMap((row) => row.who))];
	return `only ${describeAuthorities(who)} may do this, not ${article(event.role)}`;
}

/** The order's lifecycle, in order: each step is taken from the one before it. */
export const LIFECYCLE: readonly OrderStatus[] = [...NON_FINAL_STATUSES, 'delivered'];

/** The lifecycle step after `status`, or null after delivery (and for cancelled). */
export function nextStep(status: OrderStatus): OrderStatus | null {
	const index = LIFECYCLE.indexOf(status);
	return index < 0 ? null : (LIFECYCLE[index + 1] ?? null);
}

/**
 * Where an order stands after some events: `status` is what the fold derives; `progress` is the
 * furthest lifecycle step that happened, which differs from `status` only after a cancel (an
 * assigned partner's steps that arrive then are facts from the field: kept, flagged, and counted
 * here so that each step happens once).
 */
export interface FoldPosition {
	status: OrderStatus;
	progress: OrderStatus;
}

/** @internal for tests: src/lib/sync/convergence.test.ts */
export const START_POSITION: FoldPosition = Object.freeze({
	status: 'pending',
	progress: 'pending'
});

/** One event folded onto a position: why it does not apply (null if it does), and the position after it. */
export function foldEvent(
	position: FoldPosition,
	event: OrderEvent,
	facts: OrderFacts
): { conflict: string | null; position: FoldPosition } {
	const conflict = conflictReason(position.status, event, facts);
	if (conflict === null) {
		const progress = event.type === 'cancelled' ? position.progress : event.type;
		return { conflict, position: { status: event.type, progress } };
	}
	const fieldFact =
		position.status === 'cancelled' &&
		event.role === 'partner' &&
		event.by === facts.partnerId &&
		event.type === nextStep(position.progress);
	return {
		conflict,
		position: fieldFact ? { status: position.status, progress: event.type } : position
	};
}

/** A fold in progress: its result so far and the event ids it has seen. */
export interface FoldState extends Omit<FoldResult, 'conflictCount'> {
	seen: Set<string>;
}

export function startFold(): FoldState {
	return {
		...START_POSITION,
		steps: [],
		conflicts: [],
		latestEventAt: null,
		seen: new Set()
	};
}

/**
 * Folds more events onto `state`, in place: folding a log in two parts gives exactly the result
 * of folding it whole (the sync-server extends a fold as events are appended).
 */
export function continueFold(
	state: FoldState,
	events: Iterable<OrderEvent>,
	facts: OrderFacts
): void {
	for (const event of events) {
		if (state.seen.has(event.id)) continue;
		state.seen.add(event.id);
		const statusBefore = state.status;
		const { conflict, position } = foldEvent(state, event, facts);
		const step: FoldStep = {
			event,
			applied: conflict === null,
			conflict,
			statusBefore,
			statusAfter: position.status
		};
		state.steps.push(step);
		if (conflict !== null) state.conflicts.push(step);
		state.status = position.status;
		state.progress = position.progress;
		if (state.latestEventAt === null || isLaterTime(event.at, state.latestEventAt)) {
			state.latestEventAt = event.at;
		}
	}
}

/**
 * Fold the events, in array order, into the current status. An event that is not a valid
 * transition at its position stays in `steps`, unapplied, with the reason; a later event with an
 * id already seen is a duplicate delivery and is skipped silently. Pure and deterministic.
 */
export function foldStatus(events: readonly OrderEvent[], facts: OrderFacts): FoldResult {
	const state = startFold();
	continueFold(state, events, facts);
	const { status, progress, steps, conflicts, latestEventAt } = state;
	return { status, progress, steps, conflicts, conflictCount: conflicts.length, latestEventAt };
}

const STATUS_LABELS: Record<OrderStatus, string> = {
	pending: 'Pending',
	accepted: 'Accepted',
	preparing: 'Preparing',
	out_for_delivery: 'Out for delivery',
	delivered: 'Delivered',
	cancelled: 'Cancelled'
};

export function statusLabel(status: OrderStatus): string {
	return STATUS_LABELS[status];
}

/** The verb for a button that moves an order to `type`. */
const ACTION_LABELS: Record<EventType, string> = {
	accepted: 'Accept',
	preparing: 'Start preparing',
	out_for_delivery: 'Out for delivery',
	delivered: 'Mark delivered',
	cancelled: 'Cancel order'
};

export function actionLabel(type: EventType): string {
	return ACTION_LABELS[type];
}
