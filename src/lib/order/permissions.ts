// Who may do what (the transition table's "who" column and the room policy), as pure functions. The sync-server
// uses them to validate writes and rooms; the UI uses them to decide which buttons to show.
import { admitEvent } from './admission.ts';
import { EVENT_TYPES, parseDocName, type Actor, type EventType, type OrderView } from './schema.ts';
import { isFinalStatus, type OrderFacts } from './status.ts';

export type Permission = { ok: true } | { ok: false; reason: string };

const ALLOWED: Permission = { ok: true };
function refuse(reason: string): Permission {
	return { ok: false, reason };
}

function factsOfView(view: OrderView): OrderFacts {
	return { customerId: view.meta.customerId, partnerId: view.assignment?.partnerId ?? null };
}

/**
 * The events `actor` may add to the order now, in lifecycle order: what the server would admit
 * (admission.ts). Nothing once the order is final: a partner's step after an admin's cancel is
 * admitted as a fact from the field when it was made offline, but is not offered.
 */
export function nextActions(actor: Actor, view: OrderView): EventType[] {
	if (isFinalStatus(view.status)) return [];
	const facts = factsOfView(view);
	return EVENT_TYPES.filter((type) => admitEvent(view.fold, facts, actor, type).ok);
}

/** The customer who placed the order may rate it once, after delivery. */
export function mayRate(actor: Actor, view: OrderView): boolean {
	return (
		actor.role === 'customer' &&
		actor.userId === view.meta.customerId &&
		view.status === 'delivered' &&
		view.rating === null
	);
}

/**
 * May `actor` open the room `docName`? Customers: their own orders and `feed/customer/<self>`;
 * partners: orders assigned to them, `feed/open`, `feed/partner/<self>`; admins: any valid name.
 * `orderFacts` is what the server knows about the order (null if the order does not exist).
 */
export function roomAccess(
	actor: Actor,
	docName: string,
	orderFacts: OrderFacts | null
): Permission {
	const name = parseDocName(docName);
	if (name === null) return refuse('not a valid document name');
	if (name.kind === 'order') {
		if (orderFacts === null) return refuse('no such order');
		switch (actor.role) {
			case 'admin':
				return ALLOWED;
			case 'customer':
				return actor.userId === orderFacts.customerId
					? ALLOWED
					: refuse('customers may open only their own orders');
			case 'partner':
				return orderFacts.partnerId !== null && actor.userId === orderFacts.partnerId
					? ALLOWED
					: refuse('partners may open only orders assigned to them');
		}
	}
	if (actor.role === 'admin') return ALLOWED;
	switch (name.feed) {
		case 'admin':
			return refuse('feed/admin is for admins only');
		case 'open':
			return actor.role === 'partner' ? ALLOWED : refuse('feed/open is for partners only');
		case 'partner':
		case 'customer':
			if (actor.role !== name.feed) return refuse(`feed/${name.feed} is for ${name.feed}s only`);
			return actor.userId === name.userId ? ALLOWED : refuse('this feed belongs to another user');
	}
}
