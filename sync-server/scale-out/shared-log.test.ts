import { describe, expect, it } from 'vitest';
import {
	decodeMessage,
	encodeMessage,
	MESSAGE_AWARENESS,
	MESSAGE_UPDATE,
	parseEntries,
	sharedLogKeys
} from './shared-log.ts';

describe('channel messages', () => {
	it('carry kind, sender and payload', () => {
		const payload = new Uint8Array([1, 2, 3, 250]);
		const decoded = decodeMessage(encodeMessage(MESSAGE_UPDATE, 'proc-ä', payload));
		expect(decoded?.kind).toBe(MESSAGE_UPDATE);
		expect(decoded?.from).toBe('proc-ä');
		expect([...decoded!.payload]).toEqual([...payload]);
		expect(decodeMessage(encodeMessage(MESSAGE_AWARENESS, 'p', new Uint8Array()))?.kind).toBe(
			MESSAGE_AWARENESS
		);
	});

	it('an unknown kind or a cut message is ignored, not thrown', () => {
		expect(decodeMessage(Buffer.from([7, 1, 65]))).toBeNull();
		expect(decodeMessage(Buffer.from([0, 9, 65]))).toBeNull();
		expect(decodeMessage(Buffer.from([0]))).toBeNull();
	});

	it('refuses a sender name too long for its length byte', () => {
		expect(() => encodeMessage(MESSAGE_UPDATE, 'x'.repeat(256), new Uint8Array())).toThrow();
	});
});

describe('stream entries', () => {
	it('are read from Redis replies, skipping malformed ones', () => {
		const entries = parseEntries([
			['1-0', [Buffer.from('d'), Buffer.from('order/a'), Buffer.from('u'), Buffer.from([9])]],
			['2-0', [Buffer.from('d'), Buffer.from('order/b')]],
			'garbage',
			['3-0', [Buffer.from('u'), Buffer.from([1, 2]), Buffer.from('d'), Buffer.from('x')]]
		]);
		expect(entries.map((e) => [e.id, e.name, [...e.update]])).toEqual([
			['1-0', 'order/a', [9]],
			['3-0', 'x', [1, 2]]
		]);
		expect(parseEntries(null)).toEqual([]);
	});

	it('keys share the prefix', () => {
		expect(sharedLogKeys('dispatch:')).toMatchObject({
			stream: 'dispatch:log',
			writerLease: 'dispatch:storage-writer',
			channelPrefix: 'dispatch:doc:'
		});
	});
});
