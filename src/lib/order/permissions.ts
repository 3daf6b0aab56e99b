// Who may do what (DESIGN.md's "who" column and room policy), as pure functions. The sync-server
// uses them to validate writes and rooms; the UI uses them to decide which buttons to show.
import { parseDocName, type Actor, type EventType, type OrderView } from './schema.ts';
import {
	describeAuthorities,
	hasAuthority,
	TRANSITIONS,
	TRANSITIONS_TO,
	type Authority,
	type OrderFacts
} from './status.ts';

export type Permission = { ok: true } | { ok: false; reason: string };

const ALLOWED: Permission = { ok: true };
function refuse(reason: string): Permission {
	return { ok: false, reason };
}

/** Per event type, who may write it from a client (empty: only the server, through a claim). */
const CLIENT_AUTHORS: ReadonlyMap<EventType, readonly Authority[]> = new Map(
	[...TRANSITIONS_TO].map(([type, rows]) => {
		const who = new Set(rows.filter((row) => !row.serverOnly).flatMap((row) => row.who));
		return [type, [...who]];
	})
);

/**
 * May `actor` write an event of this type into this order? Independent of the event's position
 * in the log: whether the transition is valid where it lands is the fold's job, so offline work
 * is never refused for arriving after someone else's change.
 */
export function mayAuthorEvent(actor: Actor, type: EventType, facts: OrderFacts): Permission {
	const who = CLIENT_AUTHORS.get(type);
	if (who === undefined) return refuse(`unknown event type`);
	if (who.length === 0) return refuse(`${type} is written by the server through a claim`);
	for (const authority of who) if (hasAuthority(actor, authority, facts)) return ALLOWED;
	return refuse(`only ${describeAuthorities(who)} may write ${type}`);
}

function factsOfView(view: OrderView): OrderFacts {
	return { customerId: view.meta.customerId, partnerId: view.assignment?.partnerId ?? null };
}

/** The transitions `actor` may take from the order's current status, in lifecycle order. */
export function nextActions(actor: Actor, view: OrderView): EventType[] {
	const facts = factsOfView(view);
	const actions: EventType[] = [];
	for (const row of TRANSITIONS) {
		if (row.serverOnly || !row.from.includes(view.status) || actions.includes(row.to)) continue;
		if (row.who.some((authority) => hasAuthority(actor, authority, facts))) actions.push(row.to);
	}
	return actions;
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
