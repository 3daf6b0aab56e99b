// Admission: may this event join the order's history now? The server's word on every event,
// whoever sends it (a client's update to the sync-server, or the web app's API through the service
// channel), checked against the order as the server holds it when the event arrives: role ×
// current status × assignment (docs/architecture.md, "The server's word is final").
//
// Two kinds of event:
// - requests (a customer's or an admin's cancel, an admin's step on a partner's behalf) are legal
//   only in the state they arrive in; one that comes too late is refused, with a reason for people;
// - facts from the field (the assigned partner's steps) are admitted as the next step, and also
//   after an admin's cancel, where the fold keeps them flagged as conflicts: the food may really
//   have been delivered.
// Each admitted event moves the order forward (a step happens once, a cancel ends it), so what any
// participant can write into one order is bounded by the lifecycle itself.
import type { Permission } from './permissions.ts';
import type { Actor, EventType } from './schema.ts';
import {
	hasAuthority,
	isFinalStatus,
	LIFECYCLE,
	nextStep,
	statusLabel,
	type FoldPosition,
	type OrderFacts,
	type OrderStatus
} from './status.ts';

const ADMITTED: Permission = Object.freeze({ ok: true });

// Reasons are short fixed phrases: they travel in a WebSocket close frame (≤ 123 bytes), are
// shown to the event's author, and label a metric.
function refuse(reason: string): Permission {
	return { ok: false, reason };
}

const ACCEPTED_ALREADY = refuse('a partner had already accepted the order');
const SERVER_ONLY = refuse('accepted is written by the server through a claim');
const NOT_PLACING_CUSTOMER = refuse(
	'only the customer who placed the order or an admin may cancel it'
);
const NOT_ASSIGNED = refuse('only the assigned partner or an admin may move the order on');
const CUSTOMER_STEP = refuse('customers may only cancel their order while it is pending');

/** Why nothing more can happen to an order in a final status. */
function finalReason(status: OrderStatus): Permission {
	return refuse(
		status === 'delivered' ? 'the order was already delivered' : 'the order was already cancelled'
	);
}

/** `type` is not the step after `from`: already done, or a step skipped. */
function notNextReason(from: OrderStatus, type: EventType): Permission {
	const next = nextStep(from);
	if (next === null) return finalReason(from);
	return LIFECYCLE.indexOf(type) <= LIFECYCLE.indexOf(from)
		? refuse(`the order is already ${statusLabel(from).toLowerCase()}`)
		: refuse(`${statusLabel(type).toLowerCase()} is not the next step`);
}

/**
 * May `actor` add an event of `type` to the order now? `at` is where the order stands with every
 * event the server holds (or, for an update with several events, with those before this one).
 */
export function admitEvent(
	at: FoldPosition,
	facts: OrderFacts,
	actor: Actor,
	type: EventType
): Permission {
	if (type === 'accepted') return SERVER_ONLY;
	if (type === 'cancelled') {
		if (actor.role === 'admin') return isFinalStatus(at.status) ? finalReason(at.status) : ADMITTED;
		if (!hasAuthority(actor, 'placing-customer', facts)) return NOT_PLACING_CUSTOMER;
		if (at.status === 'pending') return ADMITTED;
		return isFinalStatus(at.status) ? finalReason(at.status) : ACCEPTED_ALREADY;
	}
	switch (actor.role) {
		case 'customer':
			return CUSTOMER_STEP;
		case 'admin':
			// a request on the partner's behalf: only the next step of a live order
			if (isFinalStatus(at.status)) return finalReason(at.status);
			return nextStep(at.status) === type ? ADMITTED : notNextReason(at.status, type);
		case 'partner':
			if (!hasAuthority(actor, 'assigned-partner', facts)) return NOT_ASSIGNED;
			// a fact from the field: the next step, also after an admin's cancel (then flagged)
			if (at.status === 'delivered') return finalReason(at.status);
			return nextStep(at.progress) === type ? ADMITTED : notNextReason(at.progress, type);
	}
}
