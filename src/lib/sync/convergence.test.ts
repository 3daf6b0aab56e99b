// Property: whatever interleaving of honest work (offline writes, syncs, rebases after a refusal)
// and forged updates (raw yjs: any client id, any origin, deletes, someone else's name) from a
// customer, a partner and an admin, plus the server's own claim, every replica converges to the
// server's order, and the server's history is one that the legal events alone could have made: it
// only ever grew at its end, and every event in it was admitted where it stands.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	admitEvent,
	appendEvent,
	collectClientOwners,
	createEvent,
	eventsArray,
	factsOf,
	foldEvent,
	nextActions,
	readOrder,
	START_POSITION,
	validateClientUpdate,
	writeAssignment,
	type Actor,
	type EventType,
	type FoldPosition,
	type OrderEvent
} from '$lib/order';
import { PEOPLE, replicaOf, serverDoc } from '$lib/order/test-fixtures';
import { ownWrites, reapplyWrites } from './rebase';

type Who = 'customer' | 'partner' | 'admin';
const WHO: Who[] = ['customer', 'partner', 'admin'];
const TYPES: EventType[] = ['accepted', 'preparing', 'out_for_delivery', 'delivered', 'cancelled'];

type Action =
	| { kind: 'honest'; who: Who; pick: number }
	| { kind: 'sync'; who: Who }
	| { kind: 'claim' }
	| { kind: 'forge'; who: Who; how: number; client: number; type: EventType; at: number };

const action: fc.Arbitrary<Action> = fc.oneof(
	fc.record({
		kind: fc.constant('honest' as const),
		who: fc.constantFrom(...WHO),
		pick: fc.nat(3)
	}),
	fc.record({ kind: fc.constant('sync' as const), who: fc.constantFrom(...WHO) }),
	fc.constant({ kind: 'claim' as const }),
	fc.record({
		kind: fc.constant('forge' as const),
		who: fc.constantFrom(...WHO),
		how: fc.nat(5),
		client: fc.oneof(fc.constantFrom(1, 2, 2 ** 32 - 1), fc.nat()),
		type: fc.constantFrom(...TYPES),
		at: fc.nat(10)
	})
);

class World {
	readonly server = serverDoc();
	readonly owners = collectClientOwners(this.server);
	readonly replicas = new Map<Who, Y.Doc>(WHO.map((who) => [who, replicaOf(this.server)]));
	/** The server's event ids after every step: each must extend the one before. */
	readonly histories: string[][] = [[]];

	receive(update: Uint8Array, actor: Actor): boolean {
		const result = validateClientUpdate(this.server, update, {
			actor,
			clientOwners: this.owners,
			now: Date.now()
		});
		if (result.ok) {
			for (const [client, owner] of result.newOwners) this.owners.set(client, owner);
			Y.applyUpdate(this.server, update);
		}
		this.histories.push(readOrder(this.server)!.events.map((e) => e.id));
		return result.ok;
	}

	/** The honest client's sync: send what the server lacks; on refusal, rebase; then pull. */
	sync(who: Who): void {
		const replica = this.replicas.get(who)!;
		const reply = Y.encodeStateAsUpdate(replica, Y.encodeStateVector(this.server));
		if (!this.receive(reply, PEOPLE[who])) {
			const fresh = replicaOf(this.server);
			reapplyWrites(fresh, PEOPLE[who].userId, ownWrites(replica, PEOPLE[who].userId));
			this.replicas.set(who, fresh);
			const again = Y.encodeStateAsUpdate(fresh, Y.encodeStateVector(this.server));
			// what a rebase writes is admitted by the same rules: never refused twice
			expect(this.receive(again, PEOPLE[who])).toBe(true);
		}
		const current = this.replicas.get(who)!;
		Y.applyUpdate(current, Y.encodeStateAsUpdate(this.server, Y.encodeStateVector(current)));
	}

	honest(who: Who, pick: number): void {
		const replica = this.replicas.get(who)!;
		const view = readOrder(replica);
		if (view === null) return;
		const actions = nextActions(PEOPLE[who], view);
		if (actions.length === 0) return;
		appendEvent(replica, createEvent(PEOPLE[who], actions[pick % actions.length]!));
	}

	/** The web app's claim through the service channel: only while the document is pending. */
	claim(): void {
		const view = readOrder(this.server)!;
		if (view.status !== 'pending' || view.assignment !== null) return;
		this.server.transact(() => {
			writeAssignment(this.server, {
				partnerId: PEOPLE.partner.userId,
				partnerName: PEOPLE.partner.name,
				claimedAt: new Date().toISOString()
			});
			appendEvent(this.server, createEvent(PEOPLE.partner, 'accepted'));
		});
		this.histories.push(readOrder(this.server)!.events.map((e) => e.id));
	}

	forge(a: Extract<Action, { kind: 'forge' }>): void {
		const actor = PEOPLE[a.who];
		const event: OrderEvent = createEvent(
			a.how === 4 ? PEOPLE.otherPartner : actor,
			a.type,
			undefined,
			new Date(Date.UTC(2026, 0, 1, a.at))
		);
		const doc = new Y.Doc();
		doc.clientID = a.client;
		const updates: Uint8Array[] = [];
		switch (a.how) {
			case 0: // a fresh document: no neighbours, any client id
			case 4: // ... in someone else's name
				doc.on('update', (u: Uint8Array) => updates.push(u));
				eventsArray(doc).push([event]);
				break;
			case 1: // inserted before the server's first event, or at a random place
			case 2: {
				Y.applyUpdate(doc, Y.encodeStateAsUpdate(this.server));
				doc.on('update', (u: Uint8Array) => updates.push(u));
				const length = eventsArray(doc).length;
				eventsArray(doc).insert(a.how === 1 ? 0 : a.at % (length + 1), [event]);
				break;
			}
			case 3: // deleting an event, with an append
			case 5: {
				Y.applyUpdate(doc, Y.encodeStateAsUpdate(this.server));
				doc.on('update', (u: Uint8Array) => updates.push(u));
				doc.transact(() => {
					const events = eventsArray(doc);
					if (events.length > 0) events.delete(a.at % events.length, 1);
					if (a.how === 3) events.push([event]);
				});
				break;
			}
		}
		if (updates.length > 0) this.receive(Y.mergeUpdates(updates), actor);
	}
}

/** Replays the server's history through admission: a history the legal events alone could make. */
function expectLegalHistory(server: Y.Doc): void {
	const view = readOrder(server)!;
	const facts = factsOf(view.meta, view.assignment);
	let position: FoldPosition = START_POSITION;
	for (const event of view.events) {
		const actor = { userId: event.by, role: event.role };
		if (event.type === 'accepted') {
			// the claim, written by the server while the order was pending
			expect(position.status).toBe('pending');
			expect(event.by).toBe(facts.partnerId);
		} else {
			expect(admitEvent(position, facts, actor, event.type)).toEqual({ ok: true });
		}
		position = foldEvent(position, event, facts).position;
	}
	expect(view.status).toBe(position.status);
}

describe('honest and forged writes from three roles, in any interleaving', () => {
	it('converge on every replica to a history the legal events alone could make', () => {
		fc.assert(
			fc.property(fc.array(action, { minLength: 1, maxLength: 40 }), (actions) => {
				const world = new World();
				for (const a of actions) {
					if (a.kind === 'honest') world.honest(a.who, a.pick);
					else if (a.kind === 'sync') world.sync(a.who);
					else if (a.kind === 'claim') world.claim();
					else world.forge(a);
				}
				for (const who of WHO) world.sync(who);
				for (const who of WHO) world.sync(who); // the last rebases reach everyone

				// the history only ever grew at its end
				for (let i = 1; i < world.histories.length; i++) {
					const before = world.histories[i - 1]!;
					expect(world.histories[i]!.slice(0, before.length)).toEqual(before);
				}
				expectLegalHistory(world.server);
				const serverView = readOrder(world.server)!;
				for (const who of WHO) {
					const replica = readOrder(world.replicas.get(who)!)!;
					expect(replica.status).toBe(serverView.status);
					expect(replica.events).toEqual(serverView.events);
				}
			}),
			{ numRuns: 300 }
		);
	});
});
