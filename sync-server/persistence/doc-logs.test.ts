import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DocLogs, settleStored } from './doc-logs.ts';

/** An independent writer's update: one event appended to `events`. */
function appendUpdate(doc: Y.Doc, text: string): Uint8Array {
	let captured: Uint8Array | null = null;
	const capture = (update: Uint8Array) => (captured = update);
	doc.on('update', capture);
	doc.getArray<string>('events').push([text]);
	doc.off('update', capture);
	return captured!;
}

describe('DocLogs', () => {
	it('updates queued before a write share a waiter; the write takes them merged, as the next row', () => {
		const logs = new DocLogs();
		const source = new Y.Doc();
		const a = logs.queue('order/a', appendUpdate(source, 'a'));
		const b = logs.queue('order/a', appendUpdate(source, 'b'));
		const other = logs.queue('order/b', appendUpdate(new Y.Doc(), 'x'));
		expect(b).toBe(a);
		expect(other).not.toBe(a);

		const log = logs.get('order/a')!;
		log.written(4);
		const taken = log.take();
		expect(taken.seq).toBe(5);
		expect(taken.waiters).toEqual([a]);
		expect(log.pending).toEqual([]);
		const merged = new Y.Doc();
		Y.applyUpdate(merged, taken.update);
		expect(merged.getArray('events').toArray()).toEqual(['a', 'b']);

		const c = logs.queue('order/a', appendUpdate(source, 'c'));
		expect(c).not.toBe(a);
	});

	it('a row not stored goes back in front of what came meanwhile, and the document backs off', () => {
		const logs = new DocLogs();
		const first = logs.queue('order/a', new Uint8Array([1]));
		const log = logs.get('order/a')!;
		const taken = log.take();
		const second = logs.queue('order/a', new Uint8Array([2]));
		log.putBack(taken);
		expect(log.pending).toEqual([new Uint8Array([1]), new Uint8Array([2])]);
		expect(log.waiters).toEqual([first, second]);
		// what comes now joins the last write's waiter: they all go out together
		expect(logs.queue('order/a', new Uint8Array([3]))).toBe(second);

		const before = Date.now();
		log.failed();
		expect(log.failures).toBe(1);
		expect(log.retryAt).toBeGreaterThanOrEqual(before + 100);
		expect(logs.nextDue()).toBe(log.retryAt);
		log.written(1);
		expect([log.failures, log.retryAt]).toEqual([0, 0]);
	});

	it('giving up rejects every waiter and says how many updates went', async () => {
		const logs = new DocLogs();
		const first = logs.queue('order/a', new Uint8Array([1]));
		const log = logs.get('order/a')!;
		const taken = log.take();
		const second = logs.queue('order/a', new Uint8Array([2]));
		log.putBack(taken);
		const error = new Error('gone');
		expect(log.giveUp(error)).toBe(2);
		await expect(first.promise).rejects.toBe(error);
		await expect(second.promise).rejects.toBe(error);
		expect([log.pending, log.waiters]).toEqual([[], []]);
		expect(logs.nextDue()).toBe(Infinity);
	});

	it('a stored row lets the journal go of its updates before each waiter resolves, in order', async () => {
		const logs = new DocLogs();
		const source = new Y.Doc();
		const events: string[] = [];
		const first = logs.queue('order/a', appendUpdate(source, 'a'));
		first.stored.push(() => events.push('journal 1'));
		const log = logs.get('order/a')!;
		const taken = log.take();
		const second = logs.queue('order/a', appendUpdate(source, 'b'));
		second.stored.push(() => events.push('journal 2'));
		log.putBack(taken);
		void first.promise.then(() => events.push('resolved 1'));
		void second.promise.then(() => events.push('resolved 2'));
		settleStored(log.take().waiters);
		await Promise.resolve();
		expect(events).toEqual(['journal 1', 'journal 2', 'resolved 1', 'resolved 2']);
	});

	it('a load sets the position; an unloaded document is forgotten unless updates came meanwhile', () => {
		const logs = new DocLogs();
		logs.loaded('order/a', 7, 5);
		const log = logs.get('order/a')!;
		expect([log.lastSeq, log.mergedSeq, log.seqKnown]).toEqual([7, 5, true]);
		log.written(9);
		logs.loaded('order/a', 8, 8); // a reload never moves the position back
		expect([log.lastSeq, log.mergedSeq]).toEqual([9, 8]);

		logs.queue('order/a', new Uint8Array([1]));
		logs.forget(log);
		expect(logs.has('order/a')).toBe(true);
		log.take();
		logs.forget(log);
		expect(logs.has('order/a')).toBe(false);
	});
});
