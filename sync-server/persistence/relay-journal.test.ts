import {
	existsSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	truncateSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/shared/log.ts';
import { encodeFrame, readSegment, RelayJournal } from './relay-journal.ts';

let dir: string;

beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), 'relay-journal-'));
});

afterEach(() => {
	rmSync(dir, { recursive: true, force: true });
});

const bytes = (...values: number[]) => new Uint8Array(values);
const files = () => readdirSync(dir).sort();

describe('RelayJournal', () => {
	it('gives a new process what the previous one appended and did not settle, in order', () => {
		const first = new RelayJournal({ dir });
		first.append('order/a', bytes(1, 2, 3));
		const settleB = first.append('feed/partner/ü', bytes(4));
		first.append('order/a', bytes(5, 6));
		settleB(); // settled, but the segment still holds unsettled ones: nothing is removed
		// (the process dies here: no close)
		const second = new RelayJournal({ dir });
		const { records, damaged, segments } = second.leftovers();
		expect(damaged).toBe(0);
		expect(segments).toBe(1);
		expect(records).toEqual([
			{ name: 'order/a', update: bytes(1, 2, 3) },
			{ name: 'feed/partner/ü', update: bytes(4) },
			{ name: 'order/a', update: bytes(5, 6) }
		]);
		second.replayed();
		expect(files()).toEqual([]);
		expect(new RelayJournal({ dir }).leftovers().records).toEqual([]);
	});

	it('replays what an earlier process left into the store, and deletes it only once all is stored', async () => {
		const log = createLogger('relay-journal-test', 'silent');
		const dead = new RelayJournal({ dir });
		dead.append('order/a', bytes(1));
		dead.append('order/b', bytes(2));
		const failing = new RelayJournal({ dir });
		const tried: string[] = [];
		await expect(
			failing.replay(async (name) => {
				tried.push(name);
				if (name === 'order/b') throw new Error('database down');
			}, log)
		).rejects.toThrow('database down');
		expect(files()).toHaveLength(1); // kept for the next start

		const next = new RelayJournal({ dir });
		const stored: { name: string; update: Uint8Array }[] = [];
		await next.replay(async (name, update) => {
			expect(files()).toHaveLength(1);
			stored.push({ name, update });
		}, log);
		expect(stored).toEqual([
			{ name: 'order/a', update: bytes(1) },
			{ name: 'order/b', update: bytes(2) }
		]);
		expect(files()).toEqual([]);
		await next.replay(async () => expect.unreachable(), log); // nothing left
	});

	it('ends a replay at a torn or damaged frame and keeps what came before it', () => {
		const journal = new RelayJournal({ dir });
		journal.append('order/a', bytes(1));
		journal.append('order/b', bytes(2, 2));
		journal.append('order/c', bytes(3, 3, 3));
		const [file] = files();
		const path = join(dir, file!);
		truncateSync(path, readFileSync(path).length - 2); // a crash in the middle of a write
		let found = new RelayJournal({ dir }).leftovers();
		expect(found.records.map((r) => r.name)).toEqual(['order/a', 'order/b']);
		expect(found.damaged).toBe(1);

		const damaged = readFileSync(path);
		const secondFrameEnd =
			encodeFrame('order/a', bytes(1)).length + encodeFrame('order/b', bytes(2, 2)).length;
		damaged[secondFrameEnd - 1]! ^= 0xff; // a flipped bit in the last complete frame
		writeFileSync(path, damaged);
		found = new RelayJournal({ dir }).leftovers();
		expect(found.records.map((r) => r.name)).toEqual(['order/a']);
	});

	it('reads frames exactly as they were encoded, and nothing from garbage', () => {
		const frames = Buffer.concat([encodeFrame('x', bytes(9, 8)), encodeFrame('yy', bytes())]);
		expect(readSegment(frames)).toEqual({
			records: [
				{ name: 'x', update: bytes(9, 8) },
				{ name: 'yy', update: bytes() }
			],
			damaged: false
		});
		expect(readSegment(Buffer.from('not a journal at all')).records).toEqual([]);
		expect(readSegment(Buffer.from('not a journal at all')).damaged).toBe(true);
		expect(readSegment(Buffer.alloc(0))).toEqual({ records: [], damaged: false });
	});

	it('empties the current segment once everything in it is stored', () => {
		const journal = new RelayJournal({ dir, emptyEveryMs: 0 });
		const settle = [journal.append('order/a', bytes(1)), journal.append('order/a', bytes(2))];
		settle[0]!();
		expect(readFileSync(join(dir, files()[0]!)).length).toBeGreaterThan(0);
		settle[1]!();
		settle[1]!(); // settling twice counts once
		expect(files()).toHaveLength(1);
		expect(readFileSync(join(dir, files()[0]!)).length).toBe(0);
		journal.append('order/b', bytes(3));
		expect(new RelayJournal({ dir }).leftovers().records).toEqual([
			{ name: 'order/b', update: bytes(3) }
		]);
	});

	it('empties the current segment at most once per emptyEveryMs, as soon as all is stored', async () => {
		const journal = new RelayJournal({ dir, emptyEveryMs: 60 });
		const size = () => readFileSync(join(dir, files()[0]!)).length;
		const frame = (update: Uint8Array) => encodeFrame('order/a', update).length;
		// stored as fast as they come (the shared log): not a truncate each
		for (let i = 0; i < 3; i++) journal.append('order/a', bytes(i))();
		expect(size()).toBe(3 * frame(bytes(0)));
		// (a crash now would store them again at the next start: the same updates)
		expect(new RelayJournal({ dir }).leftovers().records).toHaveLength(3);
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(size()).toBe(0);

		// due while an update is not stored yet: emptied by the store that leaves none
		journal.append('order/a', bytes(7))();
		const settleB = journal.append('order/b', bytes(8));
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(size()).toBe(frame(bytes(7)) + encodeFrame('order/b', bytes(8)).length);
		expect(new RelayJournal({ dir }).leftovers().records.map((r) => r.name)).toEqual([
			'order/a',
			'order/b'
		]);
		settleB();
		expect(size()).toBe(0);
		journal.close();
		expect(existsSync(dir)).toBe(false);
	});

	it('moves on to a new segment when one is full and deletes each once it is all stored', () => {
		const journal = new RelayJournal({ dir, segmentBytes: 64 });
		const settles = Array.from({ length: 6 }, (_, i) =>
			journal.append(`order/o${i}`, new Uint8Array(30).fill(i))
		);
		expect(files().length).toBeGreaterThanOrEqual(3);
		// the oldest segments settle: their files go; an unsettled one stays whatever its age
		settles[0]!();
		settles[1]!();
		settles[3]!();
		const left = new RelayJournal({ dir }).leftovers().records.map((r) => r.name);
		expect(left).not.toContain('order/o0');
		expect(left).not.toContain('order/o1');
		expect(left).toContain('order/o2');
		expect(left).toContain('order/o5');
		journal.close();
		// close removes only segments whose updates are all stored
		const after = new RelayJournal({ dir }).leftovers().records.map((r) => r.name);
		expect(after).toContain('order/o2');
		expect(after).toContain('order/o5');
		expect(after).not.toContain('order/o0');
	});

	it('removes everything on close when everything was stored', () => {
		const journal = new RelayJournal({ dir, segmentBytes: 64 });
		const settles = Array.from({ length: 5 }, (_, i) =>
			journal.append(`order/o${i}`, new Uint8Array(30))
		);
		settles.forEach((settle) => settle());
		journal.close();
		expect(existsSync(dir)).toBe(false); // an empty journal folder goes too
		expect(() => journal.append('order/x', bytes(1))).toThrow(/closed/);
	});
});
