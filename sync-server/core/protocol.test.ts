import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	decodeAwarenessUpdate,
	decodeClientMessage,
	encodeAwarenessEntries,
	encodeSyncStep1,
	encodeSyncUpdate,
	isEmptyUpdate,
	ProtocolError
} from './protocol.ts';

function bytes(...parts: Array<number | Uint8Array>): Uint8Array {
	const encoder = encoding.createEncoder();
	for (const part of parts) {
		if (typeof part === 'number') encoding.writeVarUint(encoder, part);
		else encoding.writeVarUint8Array(encoder, part);
	}
	return encoding.toUint8Array(encoder);
}

function closeCodeOf(frame: Uint8Array): number | null {
	try {
		decodeClientMessage(frame);
		return null;
	} catch (error) {
		return error instanceof ProtocolError ? error.closeCode : -1;
	}
}

describe('decodeClientMessage', () => {
	const doc = new Y.Doc();
	doc.getArray('events').push([{ id: 'a' }]);
	const update = Y.encodeStateAsUpdate(doc);

	it('decodes the messages a y-websocket client sends', () => {
		expect(decodeClientMessage(encodeSyncStep1(doc))).toMatchObject({ type: 'sync-step1' });
		expect(decodeClientMessage(bytes(0, 1, update))).toEqual({ type: 'sync-step2', update });
		expect(decodeClientMessage(encodeSyncUpdate(update))).toEqual({ type: 'sync-update', update });
		expect(decodeClientMessage(bytes(1, new Uint8Array([0])))).toMatchObject({ type: 'awareness' });
		expect(decodeClientMessage(bytes(3))).toEqual({ type: 'query-awareness' });
	});

	it('refuses malformed frames with 1002 and unknown types with 1003', () => {
		expect(closeCodeOf(new Uint8Array([]))).toBe(1002);
		expect(closeCodeOf(new Uint8Array([0x80]))).toBe(1002); // unterminated varuint
		expect(closeCodeOf(bytes(0, 2).slice(0, 2))).toBe(1002); // missing payload
		expect(closeCodeOf(new Uint8Array([0, 2, 10, 1, 2]))).toBe(1002); // payload shorter than its length
		expect(closeCodeOf(new Uint8Array([...encodeSyncUpdate(update), 7]))).toBe(1002); // trailing bytes
		expect(closeCodeOf(bytes(0, 0, new Uint8Array([5, 0x80])))).toBe(1002); // bad state vector
		expect(closeCodeOf(bytes(2, new Uint8Array([])))).toBe(1003); // auth messages are not accepted
		expect(closeCodeOf(bytes(9))).toBe(1003);
		expect(closeCodeOf(bytes(0, 7, update))).toBe(1003);
	});
});

describe('awareness updates', () => {
	it('round-trip', () => {
		const entries = [
			{ clientId: 12, clock: 3, state: { user: { name: 'x' } } },
			{ clientId: 13, clock: 1, state: null },
			// sized in bytes, not characters: what the limits count is what the room is sent
			{ clientId: 14, clock: 1, state: { name: 'Zoë 東京' } }
		];
		expect(decodeAwarenessUpdate(encodeAwarenessEntries(entries), 4)).toEqual(
			// (each state's JSON is under 128 bytes: one byte of length prefix)
			entries.map((entry) => ({
				...entry,
				size: Buffer.byteLength(JSON.stringify(entry.state)) + 1
			}))
		);
	});

	it('refuses too many clients, non-JSON and non-object states', () => {
		const many = Array.from({ length: 5 }, (_, i) => ({ clientId: i, clock: 1, state: {} }));
		expect(() => decodeAwarenessUpdate(encodeAwarenessEntries(many), 4)).toThrow(ProtocolError);
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, 1);
		encoding.writeVarUint(encoder, 1);
		encoding.writeVarUint(encoder, 1);
		encoding.writeVarString(encoder, '{not json');
		expect(() => decodeAwarenessUpdate(encoding.toUint8Array(encoder), 4)).toThrow(ProtocolError);
		const scalar = encodeAwarenessEntries([{ clientId: 1, clock: 1, state: 5 }]);
		expect(() => decodeAwarenessUpdate(scalar, 4)).toThrow(ProtocolError);
	});
});

it('recognises the empty update', () => {
	expect(isEmptyUpdate(Y.encodeStateAsUpdate(new Y.Doc()))).toBe(true);
	const doc = new Y.Doc();
	doc.getMap('m').set('k', 1);
	expect(isEmptyUpdate(Y.encodeStateAsUpdate(doc))).toBe(false);
});
