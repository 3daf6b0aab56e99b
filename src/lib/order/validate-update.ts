// Write validation: decide, from the raw bytes of a client's Yjs update and the server's current
// document, whether the update may be applied (docs/sync-server.md, "What may be written").
// `update-parts.ts` finds what the update adds and where each new item lands; this module holds
// the order's rules for each root: meta and assignment are the server's; events only grow at
// their end and each one is admitted where the order stands (admission.ts); the rating is
// written once, whole, by the customer after delivery; feeds take nothing.
import type * as Y from 'yjs';
import { admitEvent } from './admission.ts';
import type { ClientOwners } from './client-owners.ts';
import { knownEventIds, parseEventValue, readOrderCached } from './order-cache.ts';
import {
	RATING_KEYS,
	ROOT_ASSIGNMENT,
	ROOT_EVENTS,
	ROOT_META,
	ROOT_RATING,
	hasTextDirectionChars,
	type Actor,
	type OrderView
} from './schema.ts';
import { commentSchema, starsSchema } from './parse.ts';
import { eventsArray, factsOf, ratingMap } from './order-doc.ts';
import { foldEvent, type FoldPosition } from './status.ts';
import {
	appendChain,
	decodeUpdate,
	deletesAreKnown,
	DELETES,
	findNewParts,
	forbid,
	isRejection,
	MALFORMED,
	placeParts,
	REF_ANY,
	type DecodedUpdate,
	type NewPart,
	type Rejection
} from './update-parts.ts';

export type ValidationResult =
	| {
			ok: true;
			newOwners: ReadonlyArray<readonly [clientId: number, ownerUserId: string]>;
			changes: boolean;
	  }
	| Rejection;

export interface ValidationContext {
	actor: Actor;
	clientOwners: ClientOwners;
	/** The server's clock (ms): an event's `at` is checked against it (`eventTimeProblem`). */
	now: number;
}

/**
 * How far a device's clock may be from the server's. An event keeps the time its author's device
 * gave it (a partner's offline steps keep when they happened), within this of what is possible.
 * @internal for tests: validate-update.test.ts
 */
export const CLOCK_SKEW_MS = 15 * 60_000;

/**
 * Why an event's time cannot be true, or null: later than the server's clock, or earlier than
 * the order's creation (which the server wrote), each beyond `CLOCK_SKEW_MS`. Times outside these
 * bounds would put deliveries before orders or in the future, in every list and statistic.
 */
function eventTimeProblem(at: string, createdAt: string, now: number): string | null {
	const time = Date.parse(at);
	if (time > now + CLOCK_SKEW_MS) {
		return 'the event’s time is ahead of the server’s clock (check this device’s date and time)';
	}
	if (time < Date.parse(createdAt) - CLOCK_SKEW_MS) {
		return 'the event’s time is before the order was placed (check this device’s date and time)';
	}
	return null;
}

// The usual verdicts, shared (nothing changes a result): most updates add nothing new to own.
const NO_OWNERS: ReadonlyArray<readonly [number, string]> = Object.freeze([]);
const CHANGES: ValidationResult = Object.freeze({ ok: true, newOwners: NO_OWNERS, changes: true });
const NO_CHANGES: ValidationResult = Object.freeze({
	ok: true,
	newOwners: NO_OWNERS,
	changes: false
});
const STALE = forbid('the order changed meanwhile');

/** Facts about the order, read from the server's document at most once per validation. */
class OrderState {
	private view: OrderView | null | undefined;
	private stored: ReadonlySet<string> | undefined;
	/** Ids of the events this update adds, so far. */
	private added: Set<string> | null = null;
	constructor(private readonly doc: Y.Doc) {}

	get order(): OrderView | null {
		if (this.view === undefined) this.view = readOrderCached(this.doc);
		return this.view;
	}

	/** Whether an event (valid or not) with this id is in the server's log or earlier in the update. */
	hasEventId(id: string): boolean {
		this.stored ??= knownEventIds(this.doc);
		return this.stored.has(id) || (this.added?.has(id) ?? false);
	}

	addEventId(id: string): void {
		(this.added ??= new Set()).add(id);
	}
}

/**
 * Check a client's update to an order document against the order rules, before it is applied.
 * Never throws; a rejected update must not be applied, stored or broadcast.
 */
export function validateClientUpdate(
	doc: Y.Doc,
	update: Uint8Array,
	ctx: ValidationContext,
	/** `Y.decodeUpdate(update)` if the caller has it already (it is not decoded again). */
	alreadyDecoded?: DecodedUpdate
): ValidationResult {
	const decoded = alreadyDecoded ?? decodeUpdate(update);
	if (decoded === null) return MALFORMED;
	try {
		return validateDecoded(doc, decoded, ctx);
	} catch {
		// Decoded values are attacker-controlled; anything unexpected is a refusal, not a crash.
		return MALFORMED;
	}
}

function validateDecoded(
	doc: Y.Doc,
	{ structs, ds }: DecodedUpdate,
	{ actor, clientOwners, now }: ValidationContext
): ValidationResult {
	const found = findNewParts(doc, structs, clientOwners, actor.userId);
	if (isRejection(found)) return found;
	if (found.parts.length === 0) return deletesAreKnown(doc, ds) ? NO_CHANGES : DELETES;
	const misplaced = placeParts(doc, found);
	if (misplaced !== null) return misplaced;

	const order = new OrderState(doc);
	let eventParts: NewPart[] | null = null;
	let ratingKeys: Set<string> | null = null;
	for (const part of found.parts) {
		const placement = part.placement!;
		const { item, offset } = part;
		const ref = item.content.getRef();
		switch (placement.root) {
			case ROOT_META:
				return forbid('meta is written by the server only');
			case ROOT_ASSIGNMENT:
				return forbid('assignment is written by the server only');
			case ROOT_EVENTS: {
				if (placement.sub !== null) return forbid('events is a list, not a map');
				if (item.rightOrigin !== null) return forbid('events are append-only');
				if (ref !== REF_ANY) return forbid('events must be plain JSON objects');
				(eventParts ??= []).push(part);
				break;
			}
			case ROOT_RATING: {
				const key = placement.sub;
				if (key === null || !(RATING_KEYS as readonly string[]).includes(key)) {
					return forbid('rating takes only stars and comment');
				}
				if (item.origin !== null || item.rightOrigin !== null || offset > 0) {
					return forbid('a rating cannot be changed');
				}
				if (ref !== REF_ANY || item.length !== 1) return forbid('rating values must be plain JSON');
				const view = order.order;
				if (view === null) return forbid('the order does not exist yet');
				if (actor.role !== 'customer' || actor.userId !== view.meta.customerId) {
					return forbid('only the customer who placed the order may rate it');
				}
				if (view.status !== 'delivered') return forbid('only a delivered order can be rated');
				if (ratingKeys?.has(key) || ratingMap(doc)._map.has(key)) {
					return forbid('a rating cannot be changed');
				}
				const value: unknown = (item.content as Y.ContentAny).arr[0];
				const schema = key === 'stars' ? starsSchema : commentSchema;
				if (!schema.safeParse(value).success) {
					return forbid(key === 'stars' ? 'stars must be 1 to 5' : 'comment is too long');
				}
				if (typeof value === 'string' && hasTextDirectionChars(value)) {
					return forbid('the comment has text-direction characters');
				}
				(ratingKeys ??= new Set()).add(key);
				break;
			}
			default:
				return forbid('writes outside the order schema are not allowed');
		}
	}
	if (eventParts !== null) {
		const refusal = admitEvents(doc, order, actor, eventParts, now);
		if (refusal !== null) return refusal;
	}
	if (ratingKeys !== null) {
		const stored = ratingMap(doc)._map;
		if (RATING_KEYS.some((key) => !ratingKeys.has(key) && !stored.has(key))) {
			return forbid('a rating needs both stars and comment');
		}
	}
	// Checked last so that a forged write gets the more telling reason above (a map overwrite,
	// for instance, also deletes the value it replaces).
	if (!deletesAreKnown(doc, ds)) return DELETES;
	return found.newOwners.length === 0
		? CHANGES
		: { ok: true, newOwners: found.newOwners, changes: true };
}

/**
 * Every new event, in the order it will stand, checked as the server holds the order when it
 * arrives: authored by the sender, never seen before, and admitted where it lands (admission.ts),
 * each one on top of those before it; and all of them after every event the server holds. Null
 * if all pass; else the refusal.
 */
function admitEvents(
	doc: Y.Doc,
	order: OrderState,
	actor: Actor,
	parts: readonly NewPart[],
	now: number
): Rejection | null {
	const view = order.order;
	if (view === null) return forbid('the order does not exist yet');
	const chain = appendChain(eventsArray(doc), parts);
	const facts = factsOf(view.meta, view.assignment);
	let position: FoldPosition = view.fold;
	// (not at the end: still checked as if it were, so that a forged event gets the telling reason)
	for (const { item, offset } of chain ?? parts) {
		const values = (item.content as Y.ContentAny).arr;
		for (let i = offset; i < values.length; i++) {
			const event = parseEventValue(values[i]);
			if (event === null) return forbid('not a valid order event');
			if (event.by !== actor.userId) return forbid('event author is not the sender');
			if (event.role !== actor.role) return forbid('event role is not the sender role');
			if (order.hasEventId(event.id)) return forbid('duplicate event id');
			if (event.note !== undefined && hasTextDirectionChars(event.note)) {
				return forbid('the note has text-direction characters');
			}
			const timing = eventTimeProblem(event.at, view.meta.createdAt, now);
			if (timing !== null) return forbid(timing);
			const admission = admitEvent(position, facts, actor, event.type);
			if (!admission.ok) return forbid(admission.reason);
			order.addEventId(event.id);
			position = foldEvent(position, event, facts).position;
		}
	}
	return chain === null ? STALE : null;
}

/**
 * Feeds take no client writes: accept only an update that adds nothing the server lacks
 * (an honest client's sync reply), refuse anything else.
 */
export function validateFeedUpdate(
	doc: Y.Doc,
	update: Uint8Array,
	alreadyDecoded?: DecodedUpdate
): ValidationResult {
	const decoded = alreadyDecoded ?? decodeUpdate(update);
	if (decoded === null) return MALFORMED;
	try {
		const found = findNewParts(doc, decoded.structs, new Map(), '');
		if (isRejection(found) || found.parts.length > 0) return forbid('feeds are read-only');
		if (!deletesAreKnown(doc, decoded.ds)) return forbid('feeds are read-only');
		return NO_CHANGES;
	} catch {
		return MALFORMED;
	}
}
