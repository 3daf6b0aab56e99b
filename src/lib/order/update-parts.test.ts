// What an update adds and where it lands, read from the bytes: the parts the server lacks, their
// placement, and whether new list items land after everything the server holds.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendEvent, eventsArray, ratingMap, writeRating } from './order-doc.ts';
import { captureUpdate, eventBy, replicaOf, serverDoc } from './test-fixtures.ts';
import {
	appendChain,
	findNewParts,
	isRejection,
	placeParts,
	type NewParts
} from './update-parts.ts';

function partsOf(server: Y.Doc, update: Uint8Array, owners = new Map<number, string>()) {
	return findNewParts(server, Y.decodeUpdate(update).structs, owners, 'writer');
}

function placed(server: Y.Doc, update: Uint8Array): NewParts {
	const found = partsOf(server, update);
	if (isRejection(found)) throw new Error(found.reason);
	expect(placeParts(server, found)).toBeNull();
	return found;
}

describe('findNewParts', () => {
	it('skips what the server has, keeps the rest, and names the new client ids', () => {
		const server = serverDoc({ claimed: true });
		const client = replicaOf(server);
		expect(partsOf(server, Y.encodeStateAsUpdate(client))).toMatchObject({ parts: [] });
		const update = captureUpdate(client, (d) => appendEvent(d, eventBy('partner', 'preparing')));
		expect(partsOf(server, update)).toMatchObject({
			parts: [{ offset: 0 }],
			newOwners: [[client.clientID, 'writer']]
		});
	});

	it('refuses a gap, and a client id another writer owns', () => {
		const server = serverDoc({ claimed: true });
		const client = replicaOf(server);
		appendEvent(client, eventBy('partner', 'preparing'));
		const second = captureUpdate(client, (d) => appendEvent(d, eventBy('partner', 'delivered')));
		expect(partsOf(server, second)).toMatchObject({ ok: false, code: 'missing-dependency' });
		const owned = new Map([[client.clientID, 'someone else']]);
		expect(partsOf(server, Y.encodeStateAsUpdate(client), owned)).toMatchObject({
			ok: false,
			reason: 'client id belongs to another writer'
		});
	});
});

describe('placeParts', () => {
	it('finds the root and key of every new item, also through origins inside the update', () => {
		const server = serverDoc({
			claimed: true,
			then: ['preparing', 'out_for_delivery', 'delivered']
		});
		const client = replicaOf(server);
		const update = captureUpdate(client, (d) => {
			writeRating(d, { stars: 5, comment: 'ok' });
			appendEvent(d, eventBy('customer', 'cancelled'));
			appendEvent(d, eventBy('customer', 'cancelled'));
		});
		const placements = placed(server, update).parts.map((p) => p.placement);
		expect(placements).toEqual(
			expect.arrayContaining([
				{ root: 'rating', sub: 'stars' },
				{ root: 'rating', sub: 'comment' },
				{ root: 'events', sub: null }
			])
		);
	});

	it('refuses a nested shared type', () => {
		const server = serverDoc();
		const client = replicaOf(server);
		const update = captureUpdate(client, (d) => ratingMap(d).set('comment', new Y.Text('x')));
		const found = partsOf(server, update) as NewParts;
		expect(placeParts(server, found)).toMatchObject({ reason: 'nested types are not allowed' });
	});
});

describe('appendChain', () => {
	it('orders honest appends after the last item the server holds', () => {
		const server = serverDoc({ claimed: true });
		const client = replicaOf(server);
		const update = captureUpdate(client, (d) => {
			appendEvent(d, eventBy('partner', 'preparing'));
			appendEvent(d, eventBy('partner', 'out_for_delivery'));
		});
		const { parts } = placed(server, update);
		expect(appendChain(eventsArray(server), parts)).toHaveLength(parts.length);
	});

	it('finds no chain for an item without neighbours, one in the middle, or two after one', () => {
		const server = serverDoc({ claimed: true, then: ['preparing'] });
		const fresh = new Y.Doc();
		fresh.clientID = 1;
		const noNeighbours = captureUpdate(fresh, (d) =>
			eventsArray(d).push([eventBy('partner', 'out_for_delivery')])
		);
		expect(appendChain(eventsArray(server), placed(server, noNeighbours).parts)).toBeNull();

		const middle = replicaOf(server);
		const inserted = captureUpdate(middle, (d) =>
			eventsArray(d).insert(1, [eventBy('partner', 'out_for_delivery')])
		);
		expect(appendChain(eventsArray(server), placed(server, inserted).parts)).toBeNull();

		const a = replicaOf(server);
		const b = replicaOf(server);
		const both = Y.mergeUpdates([
			captureUpdate(a, (d) => appendEvent(d, eventBy('partner', 'out_for_delivery'))),
			captureUpdate(b, (d) => appendEvent(d, eventBy('partner', 'out_for_delivery')))
		]);
		expect(appendChain(eventsArray(server), placed(server, both).parts)).toBeNull();
	});

	it('takes a resend whose new part continues the last item', () => {
		const server = serverDoc({ claimed: true });
		const client = replicaOf(server);
		const first = captureUpdate(client, (d) => appendEvent(d, eventBy('partner', 'preparing')));
		appendEvent(client, eventBy('partner', 'out_for_delivery'));
		Y.applyUpdate(server, first);
		const { parts } = placed(server, Y.encodeStateAsUpdate(client));
		expect(parts).toMatchObject([{ offset: 1 }]);
		expect(appendChain(eventsArray(server), parts)).toHaveLength(1);
	});
});
