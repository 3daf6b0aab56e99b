import * as decoding from 'lib0/decoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	decodeStoredVector,
	encodeStoredVector,
	encodeSyncStep1Frame,
	extendByUpdate,
	readServerSyncMessage,
	unconfirmedChanges,
	unconfirmedElementIds
} from './state-vector.ts';

function pushEvents(doc: Y.Doc, count: number) {
	const events = doc.getArray<{ id: string }>('events');
	for (let i = 0; i < count; i++) events.push([{ id: `e${i}` }]);
}

function stateVectorOf(doc: Y.Doc) {
	return Y.decodeStateVector(Y.encodeStateVector(doc));
}

/** A copy of `from` in `to`, as the sync protocol would deliver it (a remote, non-local change). */
function receive(to: Y.Doc, from: Y.Doc) {
	Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)), 'server');
}

describe('the person’s own unconfirmed changes', () => {
	it('counts only content written with the person’s own client ids', () => {
		const server = new Y.Doc();
		const partner = new Y.Doc();
		const customer = new Y.Doc();
		server.getMap('meta').set('orderId', 'o1');
		receive(partner, server);
		receive(customer, server);
		// the partner moves the order three times; the customer receives it all
		pushEvents(partner, 3);
		receive(server, partner);
		receive(customer, server);
		const own = new Set([customer.clientID]);
		// the server's durable vector lags behind what it relayed: still nothing of the customer's
		expect(unconfirmedChanges(customer, new Map(), own)).toBe(0);
		expect(unconfirmedChanges(customer, stateVectorOf(server), own)).toBe(0);
		// a feed-like document the person never writes: 0 whatever the server says
		expect(unconfirmedChanges(customer, new Map(), new Set())).toBe(0);

		pushEvents(customer, 1);
		own.add(customer.clientID);
		expect(unconfirmedChanges(customer, stateVectorOf(server), own)).toBe(1);
		receive(server, customer);
		expect(unconfirmedChanges(customer, stateVectorOf(server), own)).toBe(0);
	});

	it('counts each event once, also when Yjs merged them into one struct, and only those beyond the server', () => {
		const doc = new Y.Doc();
		pushEvents(doc, 5);
		const own = new Set([doc.clientID]);
		expect(doc.store.clients.get(doc.clientID)!.length).toBeLessThan(5); // merged
		expect(unconfirmedChanges(doc, new Map(), own)).toBe(5);
		expect(unconfirmedChanges(doc, new Map([[doc.clientID, 2]]), own)).toBe(3);
		expect(unconfirmedChanges(doc, new Map([[doc.clientID, 5]]), own)).toBe(0);
	});

	it('counts a rating (two keys in one transaction) as one change', () => {
		const doc = new Y.Doc();
		pushEvents(doc, 1);
		doc.transact(() => {
			doc.getMap('rating').set('stars', 5);
			doc.getMap('rating').set('comment', 'Fast');
		});
		expect(unconfirmedChanges(doc, new Map(), new Set([doc.clientID]))).toBe(2);
		expect(unconfirmedChanges(doc, new Map([[doc.clientID, 1]]), new Set([doc.clientID]))).toBe(1);
	});

	it('counts the changes of an earlier copy of this device (before a reload) too', () => {
		const before = new Y.Doc();
		pushEvents(before, 2);
		const after = new Y.Doc(); // a reload: a new client id, the old content from IndexedDB
		Y.applyUpdate(after, Y.encodeStateAsUpdate(before), 'indexeddb');
		pushEvents(after, 1);
		const own = new Set([before.clientID, after.clientID]);
		expect(unconfirmedChanges(after, new Map(), own)).toBe(3);
		expect(unconfirmedChanges(after, new Map([[before.clientID, 2]]), own)).toBe(1);
	});
});

describe('what the server relays back', () => {
	it('extends the confirmed clock by an own update that follows what it held', () => {
		const doc = new Y.Doc();
		const own = new Set([doc.clientID]);
		const updates: Uint8Array[] = [];
		doc.on('update', (update: Uint8Array) => updates.push(update));
		pushEvents(doc, 3);
		let server: Map<number, number> = new Map();
		// relayed back in order, each right after the one before
		for (const [i, update] of updates.entries()) {
			const next = extendByUpdate(server, update, own);
			expect(next?.get(doc.clientID)).toBe(i + 1);
			server = next!;
		}
		// again: nothing new
		expect(extendByUpdate(server, updates[0]!, own)).toBeNull();
	});

	it('learns nothing from an update with a gap before it, or of someone else', () => {
		const doc = new Y.Doc();
		const updates: Uint8Array[] = [];
		doc.on('update', (update: Uint8Array) => updates.push(update));
		pushEvents(doc, 2);
		expect(extendByUpdate(new Map(), updates[1]!, new Set([doc.clientID]))).toBeNull();
		expect(extendByUpdate(new Map(), updates[0]!, new Set([12345]))).toBeNull();
	});
});

describe('stored vectors', () => {
	it('round-trip through their stored form', () => {
		const vector = new Map([
			[123456789, 17],
			[42, 3]
		]);
		expect(decodeStoredVector(encodeStoredVector(vector))).toEqual(vector);
	});

	it('read anything unreadable as empty', () => {
		expect(decodeStoredVector(null).size).toBe(0);
		expect(decodeStoredVector('').size).toBe(0);
		expect(decodeStoredVector('%%%not base64').size).toBe(0);
	});
});

describe('sync step 1 frames', () => {
	it('reads the state vector of a step 1 without consuming it', () => {
		const doc = new Y.Doc();
		pushEvents(doc, 3);
		const decoder = decoding.createDecoder(encodeSyncStep1Frame(doc));
		expect(decoding.readVarUint(decoder)).toBe(0); // messageSync, read by y-websocket
		const position = decoder.pos;
		expect(readServerSyncMessage(decoder)).toEqual({ step: 'state', vector: stateVectorOf(doc) });
		expect(decoder.pos).toBe(position);
	});

	it('reads the update of a step 2 or an update', () => {
		const doc = new Y.Doc();
		pushEvents(doc, 2);
		const update = Y.encodeStateAsUpdate(doc);
		for (const step of [1, 2]) {
			const frame = new Uint8Array([0, step, update.length, ...update]);
			const decoder = decoding.createDecoder(frame);
			decoding.readVarUint(decoder);
			expect(readServerSyncMessage(decoder)).toEqual({ step: 'content', update });
		}
	});

	it('gives null for anything unreadable', () => {
		const decoder = decoding.createDecoder(new Uint8Array([0, 7, 200]));
		decoding.readVarUint(decoder);
		expect(readServerSyncMessage(decoder)).toBeNull();
	});

	it('tells a step 1 (a state) from a step 2 or update (content)', () => {
		const doc = new Y.Doc();
		pushEvents(doc, 1);
		const step1 = decoding.createDecoder(encodeSyncStep1Frame(doc));
		decoding.readVarUint(step1);
		expect(readServerSyncMessage(step1)).toEqual({ step: 'state', vector: stateVectorOf(doc) });
		const update = Y.encodeStateAsUpdate(doc);
		const frame = decoding.createDecoder(new Uint8Array([0, 2, update.length, ...update]));
		decoding.readVarUint(frame);
		expect(readServerSyncMessage(frame)).toEqual({ step: 'content', update });
	});
});

describe('the person’s unconfirmed events, by id', () => {
	it('names the events written beyond the server’s clock, also inside a merged struct', () => {
		const doc = new Y.Doc();
		const events = doc.getArray<{ id: string }>('events');
		pushEvents(doc, 5); // e0..e4, merged into fewer structs
		const own = new Set([doc.clientID]);
		const all = unconfirmedElementIds(doc, events, new Map(), own);
		expect([...all]).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
		// the server holds the first three
		const server = new Map([[doc.clientID, 3]]);
		expect([...unconfirmedElementIds(doc, events, server, own)]).toEqual(['e3', 'e4']);
		expect(unconfirmedElementIds(doc, events, stateVectorOf(doc), own).size).toBe(0);
	});

	it('ignores other writers’ events and other roots', () => {
		const server = new Y.Doc();
		server.getArray<{ id: string }>('events').push([{ id: 'theirs' }]);
		const doc = new Y.Doc();
		receive(doc, server);
		doc.getMap('rating').set('stars', 4);
		const events = doc.getArray<{ id: string }>('events');
		events.push([{ id: 'mine' }]);
		const ids = unconfirmedElementIds(doc, events, new Map(), new Set([doc.clientID]));
		expect([...ids]).toEqual(['mine']);
	});
});
