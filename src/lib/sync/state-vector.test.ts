import * as decoding from 'lib0/decoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	decodeStoredVector,
	encodeStoredVector,
	encodeSyncStep1Frame,
	mergeStateVectors,
	peekServerSyncMessage,
	stateVectorOf,
	stateVectorOfUpdate,
	unconfirmedCount
} from './state-vector.ts';

function pushEvents(doc: Y.Doc, count: number) {
	const events = doc.getArray<{ id: string }>('events');
	for (let i = 0; i < count; i++) events.push([{ id: `e${i}` }]);
}

describe('unconfirmed changes from state vectors', () => {
	it('counts each appended event the server lacks, and none once the server has them', () => {
		const server = new Y.Doc();
		const local = new Y.Doc();
		pushEvents(server, 2);
		Y.applyUpdate(local, Y.encodeStateAsUpdate(server));
		const serverVector = stateVectorOf(server);
		expect(unconfirmedCount(stateVectorOf(local), serverVector)).toBe(0);

		pushEvents(local, 3);
		expect(unconfirmedCount(stateVectorOf(local), serverVector)).toBe(3);

		Y.applyUpdate(server, Y.encodeStateAsUpdate(local, Y.encodeStateVector(server)));
		expect(unconfirmedCount(stateVectorOf(local), stateVectorOf(server))).toBe(0);
	});

	it('does not count what the server has that we lack', () => {
		const server = new Y.Doc();
		pushEvents(server, 4);
		expect(unconfirmedCount(new Map(), stateVectorOf(server))).toBe(0);
	});

	it('merges vectors by taking the larger clock per client', () => {
		const merged = mergeStateVectors(
			new Map([
				[1, 5],
				[2, 1]
			]),
			new Map([
				[2, 4],
				[3, 2]
			])
		);
		expect([...merged].sort((a, b) => a[0] - b[0])).toEqual([
			[1, 5],
			[2, 4],
			[3, 2]
		]);
	});

	it('learns the operations an update from the server carries', () => {
		const doc = new Y.Doc();
		pushEvents(doc, 2);
		expect(stateVectorOfUpdate(Y.encodeStateAsUpdate(doc))).toEqual(stateVectorOf(doc));
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
	it('peeks the state vector of a step 1 without consuming it', () => {
		const doc = new Y.Doc();
		pushEvents(doc, 3);
		const decoder = decoding.createDecoder(encodeSyncStep1Frame(doc));
		expect(decoding.readVarUint(decoder)).toBe(0); // messageSync, read by y-websocket
		const position = decoder.pos;
		expect(peekServerSyncMessage(decoder)).toEqual(stateVectorOf(doc));
		expect(decoder.pos).toBe(position);
	});

	it('learns the operations of a step 2 or an update', () => {
		const doc = new Y.Doc();
		pushEvents(doc, 2);
		const update = Y.encodeStateAsUpdate(doc);
		for (const step of [1, 2]) {
			const frame = new Uint8Array([0, step, update.length, ...update]);
			const decoder = decoding.createDecoder(frame);
			decoding.readVarUint(decoder);
			expect(peekServerSyncMessage(decoder)).toEqual(stateVectorOf(doc));
		}
	});

	it('gives null for anything unreadable', () => {
		const decoder = decoding.createDecoder(new Uint8Array([0, 7, 200]));
		decoding.readVarUint(decoder);
		expect(peekServerSyncMessage(decoder)).toBeNull();
	});
});
