// Rebasing a refused copy, against the same validation the sync-server runs: what an honest client
// carries over is admitted, what the order no longer admits is dropped with the reason.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	appendEvent,
	collectClientOwners,
	readOrder,
	validateClientUpdate,
	writeAssignment,
	writeRating
} from '$lib/order';
import {
	captureUpdate,
	eventBy,
	PEOPLE,
	replicaOf,
	serverDoc,
	type Person
} from '$lib/order/test-fixtures';
import { hasWrites, ownWrites, parseWrites, reapplyWrites, serializeWrites } from './rebase';

/** The sync-server's check and apply, for an update `person` sends. */
function send(server: Y.Doc, update: Uint8Array, person: Person) {
	const result = validateClientUpdate(server, update, {
		actor: PEOPLE[person],
		clientOwners: collectClientOwners(server),
		now: Date.now()
	});
	if (result.ok) Y.applyUpdate(server, update);
	return result;
}

/** What the client sends on reconnect: everything the server lacks. */
const syncReply = (client: Y.Doc, server: Y.Doc) =>
	Y.encodeStateAsUpdate(client, Y.encodeStateVector(server));

describe('rebase after a refusal', () => {
	it("keeps a partner's offline steps, with their times, on top of an admin's cancel", () => {
		const server = serverDoc({ claimed: true });
		const partner = replicaOf(server);
		partner.clientID = 1; // would sort before the admin's append
		const steps = (['preparing', 'out_for_delivery', 'delivered'] as const).map((type, i) =>
			eventBy('partner', type, new Date(Date.UTC(2026, 0, 1, 12, i)))
		);
		for (const step of steps) appendEvent(partner, step);
		const admin = replicaOf(server);
		expect(
			send(
				server,
				captureUpdate(admin, (d) => appendEvent(d, eventBy('admin', 'cancelled'))),
				'admin'
			).ok
		).toBe(true);

		const refused = send(server, syncReply(partner, server), 'partner');
		expect(refused).toMatchObject({ ok: false, reason: 'the order changed meanwhile' });

		const carried = ownWrites(partner, PEOPLE.partner.userId);
		expect(carried.events.map((e) => e.id)).toContain(steps[0]!.id);
		const fresh = replicaOf(server);
		const result = reapplyWrites(fresh, PEOPLE.partner.userId, carried);
		expect(result.dropped).toEqual([]);
		expect(result.reapplied.map((e) => e.id)).toEqual(steps.map((e) => e.id));
		expect(send(server, syncReply(fresh, server), 'partner').ok).toBe(true);

		const view = readOrder(server)!;
		expect(view.status).toBe('cancelled');
		expect(view.events.slice(-3)).toEqual(steps); // original ids and times
		expect(view.fold.conflicts.map((c) => c.event.id)).toEqual(steps.map((e) => e.id));
		expect(readOrder(fresh)!.fold).toEqual(view.fold);
	});

	it("drops a customer's offline cancel that a claim overtook, and says why", () => {
		const server = serverDoc();
		const customer = replicaOf(server);
		appendEvent(customer, eventBy('customer', 'cancelled'));
		// meanwhile a partner's claim is written by the server
		server.transact(() => {
			writeAssignment(server, {
				partnerId: PEOPLE.partner.userId,
				partnerName: 'P',
				claimedAt: new Date().toISOString()
			});
			appendEvent(server, eventBy('partner', 'accepted'));
		});
		const refused = send(server, syncReply(customer, server), 'customer');
		expect(refused).toMatchObject({
			ok: false,
			reason: 'a partner had already accepted the order'
		});

		const fresh = replicaOf(server);
		const result = reapplyWrites(
			fresh,
			PEOPLE.customer.userId,
			ownWrites(customer, PEOPLE.customer.userId)
		);
		expect(result.reapplied).toEqual([]);
		expect(result.dropped).toEqual([
			{ what: 'Cancel order', reason: 'a partner had already accepted the order' }
		]);
		expect(readOrder(fresh)!.status).toBe('accepted');
		expect(syncReply(fresh, server)).toEqual(Y.encodeStateAsUpdate(new Y.Doc())); // nothing to send
	});

	it('carries a rating over, and skips what the server already has', () => {
		const server = serverDoc({
			claimed: true,
			then: ['preparing', 'out_for_delivery', 'delivered']
		});
		const customer = replicaOf(server);
		writeRating(customer, { stars: 4, comment: 'warm' });
		const carried = ownWrites(customer, PEOPLE.customer.userId);
		expect(carried).toEqual({ events: [], rating: { stars: 4, comment: 'warm' } });
		const fresh = replicaOf(server);
		const result = reapplyWrites(fresh, PEOPLE.customer.userId, carried);
		expect(result).toEqual({ reapplied: [], ratingReapplied: true, dropped: [] });
		expect(send(server, syncReply(fresh, server), 'customer').ok).toBe(true);
		// a partner's events already on the server are not written twice
		const partnerCopy = replicaOf(server);
		const again = reapplyWrites(
			replicaOf(server),
			PEOPLE.partner.userId,
			ownWrites(partnerCopy, PEOPLE.partner.userId)
		);
		expect(again).toEqual({ reapplied: [], ratingReapplied: false, dropped: [] });
	});

	it('keeps carried writes as JSON and reads back only valid ones', () => {
		const writes = { events: [eventBy('partner', 'preparing')], rating: null };
		expect(parseWrites(serializeWrites(writes))).toEqual(writes);
		expect(hasWrites(parseWrites('{"events":[{"id":"x"}],"rating":{"stars":9}}'))).toBe(false);
		expect(parseWrites('not json')).toEqual({ events: [], rating: null });
		expect(parseWrites(null)).toEqual({ events: [], rating: null });
	});
});
