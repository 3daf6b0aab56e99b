// Convergence: replicas (separate Y.Docs) that receive the same concurrent updates in any order
// end with the same events array and fold to the same status (docs/architecture.md, "The order document").
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { EVENT_TYPES } from './schema.ts';
import { appendEvent, createEvent, eventsArray, readOrder } from './order-doc.ts';
import { captureUpdate, PEOPLE, replicaOf, serverDoc, type Person } from './test-fixtures.ts';

const WRITERS: Person[] = ['customer', 'partner', 'admin', 'otherPartner'];

type Step =
	| { kind: 'append'; writer: number; type: (typeof EVENT_TYPES)[number] }
	| { kind: 'sync'; from: number; to: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
	{
		weight: 3,
		arbitrary: fc.record({
			kind: fc.constant('append' as const),
			writer: fc.nat(WRITERS.length - 1),
			type: fc.constantFrom(...EVENT_TYPES)
		})
	},
	{
		weight: 1,
		arbitrary: fc.record({
			kind: fc.constant('sync' as const),
			from: fc.nat(WRITERS.length - 1),
			to: fc.nat(WRITERS.length - 1)
		})
	}
);

/** Run the steps on one replica per writer; return every update any writer produced. */
function produceUpdates(base: Y.Doc, steps: Step[]): Uint8Array[] {
	const writers = WRITERS.map(() => replicaOf(base));
	const updates: Uint8Array[] = [];
	let minute = 0;
	for (const step of steps) {
		if (step.kind === 'append') {
			const doc = writers[step.writer]!;
			const at = new Date(Date.UTC(2025, 0, 1, 11, minute++));
			const event = createEvent(PEOPLE[WRITERS[step.writer]!], step.type, undefined, at);
			updates.push(captureUpdate(doc, (d) => appendEvent(d, event)));
		} else {
			// Partial sync between two writers: later appends build on what was received.
			const from = writers[step.from]!;
			const to = writers[step.to]!;
			Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
		}
	}
	return updates;
}

function snapshot(doc: Y.Doc) {
	const view = readOrder(doc)!;
	return { events: eventsArray(doc).toJSON(), status: view.status, fold: view.fold };
}

describe('replica convergence', () => {
	it('the same concurrent updates in any delivery order give the same events and status', () => {
		const base = serverDoc({ claimed: true });
		fc.assert(
			fc.property(
				fc.array(stepArb, { minLength: 1, maxLength: 14 }),
				fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
				(steps, seeds) => {
					const updates = produceUpdates(base, steps);
					const orders = seeds.map((seed) => shuffle(updates, seed));
					const results = orders.map((order) => {
						const replica = replicaOf(base);
						for (const update of order) Y.applyUpdate(replica, update);
						expect(replica.store.pendingStructs).toBeNull();
						return snapshot(replica);
					});
					for (const result of results.slice(1)) expect(result).toEqual(results[0]);
					// Every event appended somewhere is in every replica.
					const appended = steps.filter((s) => s.kind === 'append').length;
					expect(results[0]!.events).toHaveLength(1 + appended);
				}
			),
			{ numRuns: 150 }
		);
	});

	it('a partner offline for a while converges with an admin who cancelled meanwhile', () => {
		const base = serverDoc({ claimed: true });
		const partner = replicaOf(base);
		const admin = replicaOf(base);
		const offline = [
			captureUpdate(partner, (d) => appendEvent(d, createEvent(PEOPLE.partner, 'preparing'))),
			captureUpdate(partner, (d) => appendEvent(d, createEvent(PEOPLE.partner, 'out_for_delivery')))
		];
		const cancel = captureUpdate(admin, (d) =>
			appendEvent(d, createEvent(PEOPLE.admin, 'cancelled'))
		);
		const a = replicaOf(base);
		const b = replicaOf(base);
		for (const u of [cancel, ...offline]) Y.applyUpdate(a, u);
		for (const u of [offline[1]!, offline[0]!, cancel]) Y.applyUpdate(b, u);
		expect(snapshot(a)).toEqual(snapshot(b));
		const view = readOrder(a)!;
		expect(view.events).toHaveLength(4);
		// The partner's two events stay adjacent (the second builds on the first); wherever the
		// admin's cancel lands, the order ends cancelled on every replica.
		expect(view.status).toBe('cancelled');
	});
});

/** Deterministic Fisher–Yates from a seed (fast-check drives the seed, so failures replay). */
function shuffle<T>(items: readonly T[], seed: number): T[] {
	const out = items.slice();
	let state = seed >>> 0 || 1;
	for (let i = out.length - 1; i > 0; i--) {
		state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
		const j = state % (i + 1);
		[out[i], out[j]] = [out[j] as T, out[i] as T];
	}
	return out;
}
