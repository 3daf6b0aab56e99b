// Write validation against real Y.Docs and the exact updates real clients produce, plus forged
// updates built struct by struct for what no honest Yjs client can produce.
import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { feedEntryFor, writeFeedEntry } from './feed.ts';
import { type Actor, type OrderEvent } from './schema.ts';
import {
	appendEvent,
	assignmentMap,
	eventsArray,
	metaMap,
	ratingMap,
	readEvents,
	readOrder,
	writeMeta,
	writeRating
} from './order-doc.ts';
import {
	captureUpdate,
	eventBy,
	PEOPLE,
	replicaOf,
	sampleMeta,
	serverDoc,
	type Person,
	type ServerDocOptions
} from './test-fixtures.ts';
import { collectClientOwners, type ClientOwners } from './client-owners.ts';
import {
	CLOCK_SKEW_MS,
	validateClientUpdate,
	validateFeedUpdate,
	type ValidationResult
} from './validate-update.ts';

const DELIVERED = ['preparing', 'out_for_delivery', 'delivered'] as const;

function validate(server: Y.Doc, update: Uint8Array, actor: Actor, owners?: ClientOwners) {
	return validateClientUpdate(server, update, {
		actor,
		clientOwners: owners ?? collectClientOwners(server),
		now: Date.now()
	});
}

/** Validate as the sync-server would, and apply when accepted (recording the new owners). */
function deliver(
	server: Y.Doc,
	owners: ClientOwners,
	update: Uint8Array,
	actor: Actor
): ValidationResult {
	const result = validate(server, update, actor, owners);
	if (result.ok) {
		for (const [client, owner] of result.newOwners) owners.set(client, owner);
		Y.applyUpdate(server, update);
		expect(server.store.pendingStructs).toBeNull();
	}
	return result;
}

function expectRejected(result: ValidationResult, reason: string | RegExp) {
	expect(result.ok).toBe(false);
	if (!result.ok) {
		if (typeof reason === 'string') expect(result.reason).toBe(reason);
		else expect(result.reason).toMatch(reason);
		expect(new TextEncoder().encode(result.reason).length).toBeLessThanOrEqual(123);
	}
}

/** An update holding exactly these structs (grouped per client, in the order given). */
function forgeUpdate(structs: Array<Y.Item | Y.GC>): Uint8Array {
	const groups: Array<Array<Y.Item | Y.GC>> = [];
	for (const struct of structs) {
		const last = groups.at(-1);
		if (last && last[0]!.id.client === struct.id.client) last.push(struct);
		else groups.push([struct]);
	}
	const encoder = new Y.UpdateEncoderV1();
	encoding.writeVarUint(encoder.restEncoder, groups.length);
	for (const group of groups) {
		encoding.writeVarUint(encoder.restEncoder, group.length);
		encoder.writeClient(group[0]!.id.client);
		encoding.writeVarUint(encoder.restEncoder, group[0]!.id.clock);
		for (const struct of group) struct.write(encoder, 0);
	}
	encoding.writeVarUint(encoder.restEncoder, 0); // empty delete set
	return encoder.toUint8Array();
}

function forgedItem(options: {
	client: number;
	clock: number;
	origin?: Y.ID | null;
	rightOrigin?: Y.ID | null;
	parent?: string | Y.ID | null;
	parentSub?: string | null;
	content: Y.ContentAny | Y.ContentString;
}): Y.Item {
	return new Y.Item(
		Y.createID(options.client, options.clock),
		null,
		options.origin ?? null,
		null,
		options.rightOrigin ?? null,
		(options.parent ?? null) as unknown as Y.AbstractType<unknown> | Y.ID | null,
		options.parentSub ?? null,
		options.content
	);
}

/** The id of the last struct in the server's events array. */
function lastEventId(server: Y.Doc): Y.ID {
	let item = eventsArray(server)._start;
	while (item?.right) item = item.right;
	return item!.lastId;
}

describe('honest writes are accepted', () => {
	it("the assigned partner's next step", () => {
		const server = serverDoc({ claimed: true });
		const owners = collectClientOwners(server);
		const partner = replicaOf(server);
		const update = captureUpdate(partner, (d) => appendEvent(d, eventBy('partner', 'preparing')));
		const result = deliver(server, owners, update, PEOPLE.partner);
		expect(result).toEqual({ ok: true, changes: true, newOwners: [[partner.clientID, 'part1']] });
		expect(readOrder(server)!.status).toBe('preparing');
		// The same client id keeps writing: nothing new to claim.
		const next = captureUpdate(partner, (d) =>
			appendEvent(d, eventBy('partner', 'out_for_delivery'))
		);
		expect(deliver(server, owners, next, PEOPLE.partner)).toEqual({
			ok: true,
			changes: true,
			newOwners: []
		});
	});

	it("a partner's offline work, sent as one sync reply", () => {
		const server = serverDoc({ claimed: true });
		const partner = replicaOf(server);
		for (const type of DELIVERED) appendEvent(partner, eventBy('partner', type));
		const reply = Y.encodeStateAsUpdate(partner, Y.encodeStateVector(server));
		const result = deliver(server, collectClientOwners(server), reply, PEOPLE.partner);
		expect(result.ok && result.changes).toBe(true);
		expect(readOrder(server)!.status).toBe('delivered');
	});

	it('the customer cancelling while pending, and an admin cancelling later', () => {
		const pending = serverDoc();
		const customer = replicaOf(pending);
		const cancel = captureUpdate(customer, (d) => appendEvent(d, eventBy('customer', 'cancelled')));
		expect(deliver(pending, collectClientOwners(pending), cancel, PEOPLE.customer).ok).toBe(true);
		expect(readOrder(pending)!.status).toBe('cancelled');

		const accepted = serverDoc({ claimed: true, then: ['preparing'] });
		const admin = replicaOf(accepted);
		const update = captureUpdate(admin, (d) => appendEvent(d, eventBy('admin', 'cancelled')));
		expect(deliver(accepted, collectClientOwners(accepted), update, PEOPLE.admin).ok).toBe(true);
		expect(readOrder(accepted)!.status).toBe('cancelled');
	});

	it('work written on an older state is refused as stale; rebased, it is admitted where it lands', () => {
		const server = serverDoc({ claimed: true });
		const owners = collectClientOwners(server);
		const partner = replicaOf(server);
		const admin = replicaOf(server);
		// the lower client id would go first among concurrent appends after the same event
		partner.clientID = 1000;
		admin.clientID = 2000;
		const offline = captureUpdate(partner, (d) => appendEvent(d, eventBy('partner', 'preparing')));
		const cancel = captureUpdate(admin, (d) => appendEvent(d, eventBy('admin', 'cancelled')));
		expect(deliver(server, owners, cancel, PEOPLE.admin).ok).toBe(true);
		expectRejected(deliver(server, owners, offline, PEOPLE.partner), 'the order changed meanwhile');
		expect(readOrder(server)!.status).toBe('cancelled');
		// the client rebases: the server's state, then its event again on top of it
		const rebased = replicaOf(server);
		const step = readEvents(partner).find((e) => e.type === 'preparing')!;
		const again = captureUpdate(rebased, (d) => appendEvent(d, step));
		expect(deliver(server, owners, again, PEOPLE.partner).ok).toBe(true);
		const view = readOrder(server)!;
		expect(view.status).toBe('cancelled');
		expect(view.events.map((e) => e.type)).toEqual(['accepted', 'cancelled', 'preparing']);
		expect(view.fold.conflicts.map((c) => c.event.id)).toEqual([step.id]);
	});

	it("the customer's rating once delivered", () => {
		const server = serverDoc({ claimed: true, then: DELIVERED.slice() });
		const customer = replicaOf(server);
		const update = captureUpdate(customer, (d) =>
			writeRating(d, { stars: 5, comment: 'Still hot!' })
		);
		expect(deliver(server, collectClientOwners(server), update, PEOPLE.customer).ok).toBe(true);
		expect(readOrder(server)!.rating).toEqual({ stars: 5, comment: 'Still hot!' });
	});

	it('resends of what the server has change nothing', () => {
		const server = serverDoc({ claimed: true });
		const owners = collectClientOwners(server);
		const partner = replicaOf(server);
		const echo = Y.encodeStateAsUpdate(partner);
		expect(validate(server, echo, PEOPLE.otherCustomer, owners)).toEqual({
			ok: true,
			changes: false,
			newOwners: []
		});
		const update = captureUpdate(partner, (d) => appendEvent(d, eventBy('partner', 'preparing')));
		expect(deliver(server, owners, update, PEOPLE.partner).ok).toBe(true);
		for (const resend of [
			update,
			Y.encodeStateAsUpdate(partner),
			Y.encodeStateAsUpdate(new Y.Doc())
		]) {
			expect(validate(server, resend, PEOPLE.partner, owners)).toEqual({
				ok: true,
				changes: false,
				newOwners: []
			});
		}
	});

	it('a resend that overlaps new content: only the new part is checked and applied', () => {
		const server = serverDoc({ claimed: true });
		const owners = collectClientOwners(server);
		const partner = replicaOf(server);
		const first = captureUpdate(partner, (d) => appendEvent(d, eventBy('partner', 'preparing')));
		appendEvent(partner, eventBy('partner', 'out_for_delivery')); // merges into the same struct
		expect(deliver(server, owners, first, PEOPLE.partner).ok).toBe(true);
		const whole = Y.encodeStateAsUpdate(partner);
		const struct = Y.decodeUpdate(whole).structs.find((s) => s.id.client === partner.clientID)!;
		expect(struct.id.clock).toBe(0);
		expect(struct.length).toBe(2); // proves the overlap case is exercised
		expect(deliver(server, owners, whole, PEOPLE.partner)).toEqual({
			ok: true,
			changes: true,
			newOwners: []
		});
		expect(readOrder(server)!.status).toBe('out_for_delivery');
	});

	it("a client's delete set is fine when it only repeats the server's deletions", () => {
		const server = new Y.Doc();
		writeMeta(server, sampleMeta({ phone: '1' }));
		writeMeta(server, sampleMeta()); // the server overwrote every key: the old values are deleted
		const replica = replicaOf(server);
		const full = Y.encodeStateAsUpdate(replica);
		expect(Y.decodeUpdate(full).ds.clients.size).toBe(1);
		expect(validate(server, full, PEOPLE.customer)).toEqual({
			ok: true,
			changes: false,
			newOwners: []
		});
	});
});

describe('forged writes are rejected', () => {
	function attempt(
		person: Person,
		change: (doc: Y.Doc) => void,
		options: ServerDocOptions = { claimed: true }
	) {
		const server = serverDoc(options);
		const before = Y.encodeStateAsUpdate(server);
		const client = replicaOf(server);
		const update = captureUpdate(client, change);
		const result = validate(server, update, PEOPLE[person]);
		// Validation never touches the server's document.
		expect(Y.encodeStateAsUpdate(server)).toEqual(before);
		return result;
	}
	const event = (fields: Partial<OrderEvent>, base: Person = 'partner'): OrderEvent => ({
		...eventBy(base, 'preparing'),
		...fields
	});

	it('writing meta: overwriting a field or adding one', () => {
		expectRejected(
			attempt('customer', (d) => metaMap(d).set('total', 1)),
			'meta is written by the server only'
		);
		expectRejected(
			attempt('admin', (d) => metaMap(d).set('extra', 1)),
			'meta is written by the server only'
		);
		// an order stored without a currency reads as the shop's: nobody but the server gives it one
		expectRejected(
			attempt('customer', (d) => metaMap(d).set('currency', 'EUR')),
			'meta is written by the server only'
		);
		expectRejected(
			attempt('customer', (d) => metaMap(d).delete('phone')),
			'deletes are not allowed'
		);
	});

	it('writing assignment: taking an order over, or claiming one client-side', () => {
		expectRejected(
			attempt('otherPartner', (d) => assignmentMap(d).set('partnerId', 'part2')),
			'assignment is written by the server only'
		);
		expectRejected(
			attempt('partner', (d) => assignmentMap(d).set('partnerId', 'part1'), { claimed: false }),
			'assignment is written by the server only'
		);
	});

	it('an event whose author is not the sender', () => {
		expectRejected(
			attempt('partner', (d) => appendEvent(d, event({ by: 'adm1' }))),
			'event author is not the sender'
		);
		expectRejected(
			attempt('otherPartner', (d) => appendEvent(d, eventBy('partner', 'preparing'))),
			'event author is not the sender'
		);
	});

	it('an event with a role the sender does not have', () => {
		expectRejected(
			attempt('partner', (d) => appendEvent(d, event({ role: 'admin', type: 'cancelled' }))),
			'event role is not the sender role'
		);
	});

	it('a partner writing an order not assigned to them', () => {
		expectRejected(
			attempt('otherPartner', (d) => appendEvent(d, eventBy('otherPartner', 'preparing'))),
			'only the assigned partner or an admin may move the order on'
		);
		expectRejected(
			attempt('partner', (d) => appendEvent(d, eventBy('partner', 'preparing')), {
				claimed: false
			}),
			'only the assigned partner or an admin may move the order on'
		);
	});

	it("a customer writing a partner's steps, or another customer cancelling", () => {
		expectRejected(
			attempt('customer', (d) => appendEvent(d, eventBy('customer', 'delivered'))),
			'customers may only cancel their order while it is pending'
		);
		expectRejected(
			attempt('otherCustomer', (d) => appendEvent(d, eventBy('otherCustomer', 'cancelled'))),
			'only the customer who placed the order or an admin may cancel it'
		);
	});

	it('anyone writing accepted', () => {
		for (const person of Object.keys(PEOPLE) as Person[]) {
			expectRejected(
				attempt(person, (d) => appendEvent(d, eventBy(person, 'accepted')), { claimed: false }),
				'accepted is written by the server through a claim'
			);
		}
	});

	it('deleting an event', () => {
		expectRejected(
			attempt('admin', (d) => eventsArray(d).delete(0, 1)),
			'deletes are not allowed'
		);
	});

	it('inserting an event before existing ones', () => {
		expectRejected(
			attempt('partner', (d) => eventsArray(d).insert(0, [eventBy('partner', 'preparing')])),
			'events are append-only'
		);
	});

	it('nested types and other content', () => {
		expectRejected(
			attempt('partner', (d) => eventsArray(d).push([new Y.Map()])),
			'nested types are not allowed'
		);
		expectRejected(
			attempt('partner', (d) => eventsArray(d).push([new Y.Doc()])),
			'nested types are not allowed'
		);
		expectRejected(
			attempt('customer', (d) => ratingMap(d).set('comment', new Y.Text('hi'))),
			'nested types are not allowed'
		);
		expectRejected(
			attempt('partner', (d) => eventsArray(d).push([new Uint8Array([1, 2])])),
			'events must be plain JSON objects'
		);
	});

	it('events that are not valid events, duplicates, and floods', () => {
		expectRejected(
			attempt('partner', (d) => eventsArray(d).push([{ hello: 1 }])),
			'not a valid order event'
		);
		expectRejected(
			attempt('partner', (d) => eventsArray(d).push([event({ note: 'x'.repeat(501) })])),
			'not a valid order event'
		);
		const smuggled = JSON.parse(
			JSON.stringify({ __x__: event({}) }).replace('__x__', '__proto__')
		) as unknown;
		expectRejected(
			attempt('partner', (d) => eventsArray(d).push([smuggled])),
			'not a valid order event'
		);
		const once = event({});
		expectRejected(
			attempt('partner', (d) => eventsArray(d).push([once, once])),
			'duplicate event id'
		);
		const server = serverDoc({ claimed: true });
		const existing = readEvents(server)[0]!;
		const client = replicaOf(server);
		const replay = captureUpdate(client, (d) => appendEvent(d, { ...existing, type: 'preparing' }));
		expectRejected(validate(server, replay, PEOPLE.partner), 'duplicate event id');
		// a flood: every step once, then nothing more is admitted
		const steps = [...DELIVERED, 'preparing', 'delivered'].map((type) =>
			eventBy('partner', type as OrderEvent['type'])
		);
		expectRejected(
			attempt('partner', (d) => eventsArray(d).push(steps)),
			'the order was already delivered'
		);
		const cancels = Array.from({ length: 1700 }, () => eventBy('customer', 'cancelled'));
		expectRejected(
			attempt('customer', (d) => eventsArray(d).push(cancels), { claimed: false }),
			'the order was already cancelled'
		);
	});

	it('events on an order that does not exist', () => {
		expectRejected(
			attempt('customer', (d) => appendEvent(d, eventBy('customer', 'cancelled')), {
				noMeta: true
			}),
			'the order does not exist yet'
		);
	});

	it('writes to a root outside the schema', () => {
		expectRejected(
			attempt('admin', (d) => d.getMap('notes').set('x', 1)),
			'writes outside the order schema are not allowed'
		);
		expectRejected(
			attempt('admin', (d) => d.getText('events2').insert(0, 'x')),
			/nested|outside/
		);
	});

	it('a root that appears after earlier validations is known by its name', () => {
		const server = serverDoc({ claimed: true });
		const owners = collectClientOwners(server);
		const admin = replicaOf(server);
		const first = captureUpdate(admin, (d) => appendEvent(d, eventBy('admin', 'preparing')));
		expect(deliver(server, owners, first, PEOPLE.admin).ok).toBe(true);
		// a root the server document gained since (say, written by an older version)
		server.getArray('log').push([1]);
		Y.applyUpdate(admin, Y.encodeStateAsUpdate(server, Y.encodeStateVector(admin)));
		const extend = captureUpdate(admin, (d) => d.getArray('log').push([2]));
		expectRejected(
			validate(server, extend, PEOPLE.admin, owners),
			'writes outside the order schema are not allowed'
		);
	});

	describe('rating', () => {
		const delivered: ServerDocOptions = { claimed: true, then: DELIVERED.slice() };
		const rate = (d: Y.Doc) => writeRating(d, { stars: 5, comment: 'great' });

		it('by anyone but the customer', () => {
			for (const person of ['otherCustomer', 'partner', 'admin'] as const) {
				expectRejected(
					attempt(person, rate, delivered),
					'only the customer who placed the order may rate it'
				);
			}
		});

		it('before delivery', () => {
			expectRejected(attempt('customer', rate), 'only a delivered order can be rated');
		});

		it('with text-direction characters in its comment (emoji joiners are fine)', () => {
			const rateWith = (comment: string) => (d: Y.Doc) => writeRating(d, { stars: 5, comment });
			expectRejected(
				attempt('customer', rateWith('good \u202e doog'), delivered),
				'the comment has text-direction characters'
			);
			expect(attempt('customer', rateWith('Lovely 👨\u200d👩\u200d👧'), delivered).ok).toBe(true);
		});

		it('overwriting a rating, or rating twice from two devices', () => {
			const server = serverDoc(delivered);
			const owners = collectClientOwners(server);
			const phone = replicaOf(server);
			const laptop = replicaOf(server);
			expect(deliver(server, owners, captureUpdate(phone, rate), PEOPLE.customer).ok).toBe(true);
			const change = captureUpdate(phone, (d) => ratingMap(d).set('stars', 1));
			expectRejected(
				deliver(server, owners, change, PEOPLE.customer),
				'a rating cannot be changed'
			);
			const second = captureUpdate(laptop, (d) => writeRating(d, { stars: 1, comment: 'meh' }));
			expectRejected(
				deliver(server, owners, second, PEOPLE.customer),
				'a rating cannot be changed'
			);
			expect(readOrder(server)!.rating).toEqual({ stars: 5, comment: 'great' });
		});

		it('half a rating, bad values, unknown keys', () => {
			expectRejected(
				attempt('customer', (d) => ratingMap(d).set('stars', 4), delivered),
				'a rating needs both stars and comment'
			);
			for (const stars of [0, 6, 4.5, '5', null]) {
				expectRejected(
					attempt('customer', (d) => writeRating(d, { stars: stars as 5, comment: '' }), delivered),
					'stars must be 1 to 5'
				);
			}
			expectRejected(
				attempt(
					'customer',
					(d) => writeRating(d, { stars: 3, comment: 'x'.repeat(1001) }),
					delivered
				),
				'comment is too long'
			);
			expectRejected(
				attempt('customer', (d) => ratingMap(d).set('tip', 100), delivered),
				'rating takes only stars and comment'
			);
		});
	});

	describe('client ids', () => {
		it('a client id that belongs to another user', () => {
			const server = serverDoc({ claimed: true });
			const client = replicaOf(server);
			const update = captureUpdate(client, (d) => appendEvent(d, eventBy('partner', 'preparing')));
			const owners = collectClientOwners(server);
			owners.set(client.clientID, 'part2');
			expectRejected(
				validate(server, update, PEOPLE.partner, owners),
				'client id belongs to another writer'
			);
		});

		it("the server's client id", () => {
			const server = serverDoc({ claimed: true });
			const client = replicaOf(server);
			client.clientID = server.clientID; // continue the server's own clock range
			const update = captureUpdate(client, (d) => appendEvent(d, eventBy('partner', 'preparing')));
			expect(Y.decodeUpdate(update).structs[0]!.id.client).toBe(server.clientID);
			expectRejected(
				validate(server, update, PEOPLE.partner),
				'client id belongs to another writer'
			);
		});

		it("another user's client id after a reload of the server", () => {
			const server = serverDoc({ claimed: true });
			const admin = replicaOf(server);
			const owners = collectClientOwners(server);
			const update = captureUpdate(admin, (d) => appendEvent(d, eventBy('admin', 'preparing')));
			expect(deliver(server, owners, update, PEOPLE.admin).ok).toBe(true);
			const reloaded = replicaOf(server); // e.g. the doc unloaded and loaded from storage
			const forger = replicaOf(server);
			forger.clientID = admin.clientID;
			const forged = captureUpdate(forger, (d) =>
				appendEvent(d, eventBy('partner', 'out_for_delivery'))
			);
			expectRejected(
				validate(reloaded, forged, PEOPLE.partner),
				'client id belongs to another writer'
			);
		});
	});

	describe('malformed and incomplete updates', () => {
		const server = serverDoc({ claimed: true });
		const honest = captureUpdate(replicaOf(server), (d) =>
			appendEvent(d, eventBy('partner', 'preparing'))
		);

		it('bytes that are not an update', () => {
			for (const bytes of [
				new Uint8Array(),
				new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255, 255, 255]),
				honest.slice(0, honest.length - 3),
				new TextEncoder().encode('{"events":[]}')
			]) {
				expect(validate(server, bytes, PEOPLE.partner)).toEqual({
					ok: false,
					code: 'malformed',
					reason: 'malformed update'
				});
			}
		});

		it('never throws on random or mutated bytes', () => {
			fc.assert(
				fc.property(
					fc.oneof(
						fc.uint8Array({ maxLength: 200 }),
						fc
							.array(fc.tuple(fc.nat(honest.length - 1), fc.integer({ min: 0, max: 255 })), {
								minLength: 1,
								maxLength: 4
							})
							.map((edits) => {
								const bytes = honest.slice();
								for (const [at, value] of edits) bytes[at] = value;
								return bytes;
							})
					),
					(bytes) => {
						const result = validate(server, bytes, PEOPLE.partner);
						expect(typeof result.ok).toBe('boolean');
						expect(typeof validateFeedUpdate(server, bytes).ok).toBe('boolean');
					}
				),
				{ numRuns: 1000 }
			);
		});

		it('an update that builds on an earlier one the server has not seen', () => {
			const client = replicaOf(server);
			captureUpdate(client, (d) => appendEvent(d, eventBy('partner', 'preparing'))); // never sent
			const second = captureUpdate(client, (d) =>
				appendEvent(d, eventBy('partner', 'out_for_delivery'))
			);
			expect(validate(server, second, PEOPLE.partner)).toEqual({
				ok: false,
				code: 'missing-dependency',
				reason: 'missing dependency'
			});
		});

		it("an update that builds on another client's unsynced event", () => {
			const partner = replicaOf(server);
			const admin = replicaOf(server);
			Y.applyUpdate(
				admin,
				captureUpdate(partner, (d) => appendEvent(d, eventBy('partner', 'preparing')))
			);
			const onTop = captureUpdate(admin, (d) => appendEvent(d, eventBy('admin', 'cancelled')));
			expectRejected(validate(server, onTop, PEOPLE.admin), 'missing dependency');
			// A client may not relay another user's events either (by must be the sender).
			const relay = Y.encodeStateAsUpdate(admin, Y.encodeStateVector(server));
			expectRejected(validate(server, relay, PEOPLE.admin), 'event author is not the sender');
		});

		it('garbage-collected structs', () => {
			const client = replicaOf(server);
			const update = captureUpdate(client, (d) => {
				const nested = new Y.Map<number>();
				eventsArray(d).push([nested]);
				nested.set('a', 1);
				eventsArray(d).delete(eventsArray(d).length - 1, 1);
			});
			const fromState = Y.encodeStateAsUpdate(client, Y.encodeStateVector(server));
			expect(Y.decodeUpdate(fromState).structs.some((s) => s instanceof Y.GC)).toBe(true);
			expect(validate(server, fromState, PEOPLE.partner).ok).toBe(false);
			expect(validate(server, update, PEOPLE.partner).ok).toBe(false);
		});
	});

	describe('forged structs no Yjs client would send', () => {
		const server = serverDoc({ claimed: true });
		const client = 424242;
		const any = (value: unknown) => new Y.ContentAny([value]);
		const validEvent = () => any(eventBy('partner', 'preparing'));

		it('sanity: a hand-built honest append is accepted', () => {
			const item = forgedItem({
				client,
				clock: 0,
				origin: lastEventId(server),
				content: validEvent()
			});
			expect(validate(server, forgeUpdate([item]), PEOPLE.partner).ok).toBe(true);
		});

		it('an item whose origin is itself or a later item of its client', () => {
			const self = forgedItem({
				client,
				clock: 0,
				origin: Y.createID(client, 0),
				content: validEvent()
			});
			expectRejected(validate(server, forgeUpdate([self]), PEOPLE.partner), 'malformed update');
			const first = forgedItem({
				client,
				clock: 0,
				origin: Y.createID(client, 1),
				content: validEvent()
			});
			const second = forgedItem({
				client,
				clock: 1,
				origin: lastEventId(server),
				content: validEvent()
			});
			expectRejected(
				validate(server, forgeUpdate([first, second]), PEOPLE.partner),
				'malformed update'
			);
		});

		it('origins that form a cycle between two clients', () => {
			const a = forgedItem({
				client,
				clock: 0,
				origin: Y.createID(client + 1, 0),
				content: validEvent()
			});
			const b = forgedItem({
				client: client + 1,
				clock: 0,
				origin: Y.createID(client, 0),
				content: validEvent()
			});
			expectRejected(validate(server, forgeUpdate([b, a]), PEOPLE.partner), 'missing dependency');
		});

		it('an item hiding its parent behind an origin in meta', () => {
			const metaItem = metaMap(server)._map.get('total')!.id;
			const item = forgedItem({ client, clock: 0, origin: metaItem, content: any(7) });
			expectRejected(
				validate(server, forgeUpdate([item]), PEOPLE.partner),
				'meta is written by the server only'
			);
		});

		it('a parent that is a nested type (an id)', () => {
			const item = forgedItem({
				client,
				clock: 0,
				parent: Y.createID(server.clientID, 0),
				content: validEvent()
			});
			expectRejected(
				validate(server, forgeUpdate([item]), PEOPLE.partner),
				'nested types are not allowed'
			);
		});

		it('events written as map entries, or as text', () => {
			const keyed = forgedItem({
				client,
				clock: 0,
				parent: 'events',
				parentSub: 'x',
				content: validEvent()
			});
			expectRejected(
				validate(server, forgeUpdate([keyed]), PEOPLE.partner),
				'events is a list, not a map'
			);
			const text = forgedItem({
				client,
				clock: 0,
				origin: lastEventId(server),
				content: new Y.ContentString('hi')
			});
			expectRejected(
				validate(server, forgeUpdate([text]), PEOPLE.partner),
				'events must be plain JSON objects'
			);
		});

		it('the same client twice in one update, and empty items', () => {
			const a = forgedItem({
				client,
				clock: 0,
				origin: lastEventId(server),
				content: validEvent()
			});
			const other = forgedItem({
				client: client + 1,
				clock: 0,
				origin: lastEventId(server),
				content: validEvent()
			});
			const b = forgedItem({
				client,
				clock: 1,
				origin: Y.createID(client, 0),
				content: validEvent()
			});
			expectRejected(
				validate(server, forgeUpdate([a, other, b]), PEOPLE.partner),
				'malformed update'
			);
			const empty = forgedItem({
				client,
				clock: 0,
				origin: lastEventId(server),
				content: new Y.ContentAny([])
			});
			expectRejected(validate(server, forgeUpdate([empty]), PEOPLE.partner), 'malformed update');
		});

		it('an item that starts in a gap of its client', () => {
			const item = forgedItem({
				client,
				clock: 5,
				origin: lastEventId(server),
				content: validEvent()
			});
			expectRejected(validate(server, forgeUpdate([item]), PEOPLE.partner), 'missing dependency');
		});

		it('a resend whose new part claims a different parent than the part the server has', () => {
			const delivered = serverDoc({ claimed: true, then: DELIVERED.slice() });
			const owners = collectClientOwners(delivered);
			const customer = replicaOf(delivered);
			const rating = captureUpdate(customer, (d) => writeRating(d, { stars: 4, comment: 'ok' }));
			expect(deliver(delivered, owners, rating, PEOPLE.customer).ok).toBe(true);
			// The server has the customer's clocks 0–1 in `rating`; this struct spans clocks 1–2 and
			// names `events` as its parent: Yjs would link clock 2 into events after a rating item.
			const straddle = forgedItem({
				client: customer.clientID,
				clock: 1,
				parent: 'events',
				content: new Y.ContentAny(['x', eventBy('customer', 'cancelled')])
			});
			expectRejected(
				validate(delivered, forgeUpdate([straddle]), PEOPLE.customer, owners),
				'malformed update'
			);
		});
	});
});

describe("an event's note", () => {
	it('may not carry text-direction characters', () => {
		const server = serverDoc({ claimed: true });
		const admin = replicaOf(server);
		const cancel = { ...eventBy('admin', 'cancelled'), note: 'closed \u2066early\u2069' };
		const update = captureUpdate(admin, (d) => appendEvent(d, cancel));
		expectRejected(
			validate(server, update, PEOPLE.admin),
			'the note has text-direction characters'
		);
	});
});

describe("an event's time", () => {
	const HOUR = 3_600_000;
	/** The partner's next step written at `at`, validated against a server whose clock reads `now`. */
	function stepAt(at: Date, now: number, type: 'preparing' | 'cancelled' = 'preparing') {
		const server = serverDoc({ claimed: true });
		const who = type === 'cancelled' ? 'admin' : 'partner';
		const writer = replicaOf(server);
		const update = captureUpdate(writer, (d) => appendEvent(d, eventBy(who, type, at)));
		return validateClientUpdate(server, update, {
			actor: PEOPLE[who],
			clientOwners: collectClientOwners(server),
			now
		});
	}
	const createdAt = Date.parse(sampleMeta().createdAt);

	it('keeps the time the device gave it: hours later (offline steps), or a clock a little off', () => {
		const now = createdAt + 6 * HOUR;
		expect(stepAt(new Date(createdAt + HOUR), now).ok).toBe(true);
		expect(stepAt(new Date(now + CLOCK_SKEW_MS - 1_000), now).ok).toBe(true);
		expect(stepAt(new Date(createdAt - CLOCK_SKEW_MS + 1_000), now).ok).toBe(true);
	});

	it('refuses a time ahead of the server’s clock, or before the order was placed', () => {
		const now = createdAt + 6 * HOUR;
		expectRejected(stepAt(new Date('2099-12-31T00:00:00Z'), now), /ahead of the server’s clock/);
		expectRejected(stepAt(new Date(now + CLOCK_SKEW_MS + 1_000), now), /ahead of the server/);
		expectRejected(stepAt(new Date('2000-01-01T00:00:00Z'), now), /before the order was placed/);
		expectRejected(stepAt(new Date(createdAt - CLOCK_SKEW_MS - 1_000), now), /before the order/);
		// a request too (an admin's cancel), not only the partner's facts from the field
		expectRejected(stepAt(new Date(0), now, 'cancelled'), /before the order was placed/);
	});
});

describe('mutated honest updates', () => {
	it('whatever passes validation keeps meta, assignment and history intact', () => {
		const server = serverDoc({ claimed: true });
		const meta = metaMap(server).toJSON();
		const assignment = assignmentMap(server).toJSON();
		const history = eventsArray(server).toJSON();
		const partner = replicaOf(server);
		const honest = captureUpdate(partner, (d) => appendEvent(d, eventBy('partner', 'preparing')));
		let accepted = 0;
		fc.assert(
			fc.property(
				fc.array(fc.tuple(fc.nat(honest.length - 1), fc.integer({ min: 0, max: 255 })), {
					maxLength: 3
				}),
				(edits) => {
					const bytes = honest.slice();
					for (const [at, value] of edits) bytes[at] = value;
					const result = validate(server, bytes, PEOPLE.partner);
					if (!result.ok) return;
					accepted++;
					const copy = replicaOf(server);
					Y.applyUpdate(copy, bytes);
					expect(copy.store.pendingStructs).toBeNull();
					expect(metaMap(copy).toJSON()).toEqual(meta);
					expect(assignmentMap(copy).toJSON()).toEqual(assignment);
					const events = eventsArray(copy).toJSON() as OrderEvent[];
					expect(events.slice(0, history.length)).toEqual(history);
					for (const event of events.slice(history.length)) expect(event.by).toBe('part1');
					expect(ratingMap(copy).size).toBe(0);
				}
			),
			{ numRuns: 1500 }
		);
		expect(accepted).toBeGreaterThan(0); // at least the unmutated update
	});
});

describe('feeds take no client writes', () => {
	function feedDoc() {
		const feed = new Y.Doc();
		writeFeedEntry(feed, feedEntryFor(readOrder(serverDoc())!, 'open'));
		return feed;
	}

	it('rejects adding, changing and deleting entries', () => {
		const feed = feedDoc();
		const client = replicaOf(feed);
		const add = captureUpdate(client, (d) => d.getMap('orders').set('x', { id: 'x' }));
		expectRejected(validateFeedUpdate(feed, add), 'feeds are read-only');
		const remove = captureUpdate(replicaOf(feed), (d) => d.getMap('orders').delete('ord1'));
		expectRejected(validateFeedUpdate(feed, remove), 'feeds are read-only');
		const other = captureUpdate(replicaOf(feed), (d) => d.getArray('events').push([1]));
		expectRejected(validateFeedUpdate(feed, other), 'feeds are read-only');
	});

	it('accepts a sync reply that adds nothing, and refuses junk', () => {
		const feed = feedDoc();
		const client = replicaOf(feed);
		expect(validateFeedUpdate(feed, Y.encodeStateAsUpdate(client))).toEqual({
			ok: true,
			changes: false,
			newOwners: []
		});
		expect(validateFeedUpdate(feed, Y.encodeStateAsUpdate(new Y.Doc()))).toMatchObject({
			ok: true,
			changes: false
		});
		expect(validateFeedUpdate(feed, new Uint8Array([9, 9, 9]))).toMatchObject({
			ok: false,
			code: 'malformed'
		});
	});
});
