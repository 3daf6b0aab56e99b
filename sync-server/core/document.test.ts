import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { decodeClientMessage } from './protocol.ts';
import { SyncDocument, type AcceptedUpdate } from './document.ts';

/** A store outcome the test settles (a rejection it expects is not reported as unhandled). */
function pendingStore() {
	const store = Promise.withResolvers<void>();
	store.promise.catch(() => undefined);
	return store;
}

/** A `settled` callback that records what it was called with. */
function recorder() {
	const seen: Array<[number, boolean]> = [];
	const record = (_: SyncDocument, update: AcceptedUpdate, durable: boolean) =>
		seen.push([update.acceptedAt, durable]);
	return { seen, record };
}

const accepted = (n: number): AcceptedUpdate => ({
	update: new Uint8Array([n]),
	frame: new Uint8Array([n]),
	stateAfter: new Map([[1, n]]),
	origin: null,
	acceptedAt: n
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SyncDocument.awaitStore', () => {
	it('settles updates in the order accepted, whatever order their stores complete in', async () => {
		const document = new SyncDocument('order/a', { durableReplica: false });
		const { seen, record } = recorder();
		const first = pendingStore();
		const second = pendingStore();
		document.awaitStore(first.promise, accepted(1), record);
		document.awaitStore(first.promise, accepted(2), record);
		document.awaitStore(second.promise, accepted(3), record);
		second.resolve();
		await settle();
		expect(seen).toEqual([]); // 3 waits for 1 and 2
		first.resolve();
		await settle();
		expect(seen).toEqual([
			[1, true],
			[2, true],
			[3, true]
		]);
	});

	it('a failed store settles its updates as not durable and does not hold back later ones', async () => {
		const document = new SyncDocument('order/b', { durableReplica: false });
		const { seen, record } = recorder();
		const failing = pendingStore();
		const next = pendingStore();
		document.awaitStore(failing.promise, accepted(1), record);
		document.awaitStore(next.promise, accepted(2), record);
		const durable = document.whenDurable();
		failing.reject(new Error('disk full'));
		next.resolve();
		await expect(durable).rejects.toThrow('disk full');
		await settle();
		expect(seen).toEqual([
			[1, false],
			[2, true]
		]);
		await expect(document.whenDurable()).resolves.toBeUndefined();
	});
});

describe('SyncDocument step 1 frames', () => {
	const stateVectorOf = (frame: Uint8Array) => {
		const message = decodeClientMessage(frame);
		if (message.type !== 'sync-step1') throw new Error(`not a step 1: ${message.type}`);
		return Y.decodeStateVector(message.stateVector);
	};

	it('are encoded once per change, and follow the live and the durable state', () => {
		const document = new SyncDocument('order/c', { durableReplica: false });
		const first = document.syncStep1();
		expect(document.syncStep1()).toBe(first);
		document.doc.getArray('events').push([1]);
		document.liveChanged();
		const second = document.syncStep1();
		expect(second).not.toBe(first);
		expect(stateVectorOf(second)).toEqual(Y.decodeStateVector(Y.encodeStateVector(document.doc)));

		const durable = document.durableSyncStep1();
		expect(document.durableSyncStep1()).toBe(durable);
		expect(stateVectorOf(durable).size).toBe(0);
		document.durableState = new Map([[document.doc.clientID, 1]]);
		expect(stateVectorOf(document.durableSyncStep1())).toEqual(document.durableState);
	});
});
