// The Yjs storage on its own, against the real database: group commits, the insert-only log in
// generations, restarts, and crash-safe compaction. Each test has a database of its own, since
// a persistence owns the whole log of its database.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import * as Y from 'yjs';
import type { Database } from '../../src/lib/shared/db.ts';
import { createLogger } from '../../src/lib/shared/log.ts';
import { MongoPersistence } from '../../sync-server/persistence/mongo-persistence.ts';
import { RelayJournal, storageIdentity } from '../../sync-server/persistence/relay-journal.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import { readStored } from '../support/sync-clients.ts';

let database: Database;
let opened: MongoPersistence[] = [];

beforeEach(async () => {
	database = (await openTestDatabase('persistence')).database;
});

afterEach(async () => {
	await Promise.all(opened.map((p) => p.close()));
	opened = [];
	await dropTestDatabase(database);
});

function open(
	options: {
		persistDelayMs?: number;
		minFlushIntervalMs?: number;
		compactThreshold?: number;
		generationRows?: number;
		retire?: boolean;
		journal?: RelayJournal;
	} = {}
) {
	const registry = new Registry();
	const persistence = new MongoPersistence(database, {
		persistDelayMs: options.persistDelayMs ?? 0,
		minFlushIntervalMs: options.minFlushIntervalMs,
		compactThreshold: options.compactThreshold ?? 1000,
		generationRows: options.generationRows ?? 1000,
		retireEarlierGenerations: options.retire ?? true,
		journal: options.journal,
		maxFlushAttempts: 5,
		log: createLogger('persistence-test', 'silent'),
		registry
	});
	opened.push(persistence);
	const counter = async (name: string) =>
		(await registry.getSingleMetric(name)!.get()).values.reduce((sum, v) => sum + v.value, 0);
	return { persistence, counter };
}

/** Background work (compaction, dropping a generation) may take a while on a busy machine. */
const SETTLED = { timeout: 15_000, interval: 50 };

let docCounter = 0;
const newName = () => `order/persist${++docCounter}x${Date.now().toString(36)}`;

/** An independent writer's update: one event appended to `events`. */
function appendUpdate(doc: Y.Doc, text: string): Uint8Array {
	let captured: Uint8Array | null = null;
	const capture = (update: Uint8Array) => (captured = update);
	doc.on('update', capture);
	doc.getArray<string>('events').push([text]);
	doc.off('update', capture);
	return captured!;
}

const eventsOf = (doc: Y.Doc) => doc.getArray<string>('events').toArray();

describe('group commit', () => {
	it('writes the first update at once and gathers what arrives meanwhile into the next write', async () => {
		const { persistence, counter } = open();
		const names = [newName(), newName(), newName()];
		const source = names.map(() => new Y.Doc());

		// everything stored in the same tick is one write, one entry per document
		await Promise.all(
			names.map((name, i) =>
				Promise.all([
					persistence.store(name, appendUpdate(source[i]!, 'a')),
					persistence.store(name, appendUpdate(source[i]!, 'b'))
				])
			)
		);
		expect(await counter('sync_flushes_total')).toBe(1);
		for (const name of names) expect((await readStored(database, name)).logEntries).toBe(1);

		// A write in flight: what arrives now waits for it and goes out together in one more write.
		// (A zero-delay timer queued after the store runs after the flush timer has started the write.)
		const first = persistence.store(names[0]!, appendUpdate(source[0]!, 'c'));
		const during = await new Promise<Promise<void>[]>((resolve) =>
			setTimeout(() =>
				resolve([
					persistence.store(names[1]!, appendUpdate(source[1]!, 'd')),
					persistence.store(names[2]!, appendUpdate(source[2]!, 'e'))
				])
			)
		);
		await Promise.all([first, ...during]);
		expect(await counter('sync_flushes_total')).toBe(3);
		for (const [i, name] of names.entries()) {
			const stored = await readStored(database, name);
			expect(stored.logEntries).toBe(2);
			expect(stored.log.map((entry) => entry.seq)).toEqual([1, 2]);
			expect(eventsOf(stored.doc)).toEqual(eventsOf(source[i]!));
		}
	});

	it('updates of a document queued for the same write share one promise; a later write has its own', async () => {
		const { persistence } = open();
		const name = newName();
		const source = new Y.Doc();
		const a = persistence.store(name, appendUpdate(source, 'a'));
		const b = persistence.store(name, appendUpdate(source, 'b'));
		const other = persistence.store(newName(), appendUpdate(new Y.Doc(), 'x'));
		expect(b).toBe(a);
		expect(other).not.toBe(a);
		// once that write is done, the next update goes into a write of its own (an update that
		// arrives while a write is in flight is covered in doc-logs.test.ts)
		await a;
		const c = persistence.store(name, appendUpdate(source, 'c'));
		expect(c).not.toBe(a);
		await c;
		expect(eventsOf((await readStored(database, name)).doc)).toEqual(['a', 'b', 'c']);
	});

	it('with a batching delay, holds updates for that long (nothing durable before)', async () => {
		const { persistence } = open({ persistDelayMs: 400 });
		const name = newName();
		const stored = persistence.store(name, appendUpdate(new Y.Doc(), 'a'));
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect((await readStored(database, name)).logEntries).toBe(0);
		await stored;
		expect((await readStored(database, name)).logEntries).toBe(1);
	});

	it('with a flush interval, writes after a quiet spell at once, and under load once per interval', async () => {
		const { persistence, counter } = open({ minFlushIntervalMs: 600 });
		const name = newName();
		const source = new Y.Doc();
		const started = performance.now();
		await persistence.store(name, appendUpdate(source, 'quiet'));
		expect(await counter('sync_flushes_total')).toBe(1);
		// right behind it: these wait for the interval, and go together
		await Promise.all(
			['b', 'c', 'd'].map((text) => persistence.store(name, appendUpdate(source, text)))
		);
		expect(performance.now() - started).toBeGreaterThanOrEqual(600);
		expect(await counter('sync_flushes_total')).toBe(2);
		expect((await readStored(database, name)).logEntries).toBe(2);
	});
});

const generationsIn = async () =>
	(await database.db.listCollections({}, { nameOnly: true }).toArray())
		.map((c) => c.name)
		.filter((name) => name.startsWith('ydoc_log_'))
		.sort();

describe('the log', () => {
	it('inserts one row per document per flush, keyed by document and sequence number', async () => {
		const { persistence } = open();
		const name = newName();
		const source = new Y.Doc();
		for (const text of ['a', 'b', 'c']) await persistence.store(name, appendUpdate(source, text));
		const stored = await readStored(database, name);
		expect(stored.log.map((row) => row._id)).toEqual([`${name}#1`, `${name}#2`, `${name}#3`]);
		expect(stored.log.map((row) => row.doc)).toEqual([name, name, name]);

		const reader = open({ retire: false }).persistence;
		const loaded = new Y.Doc();
		Y.applyUpdate(loaded, (await reader.load(name))!);
		expect(eventsOf(loaded)).toEqual(['a', 'b', 'c']);
	});

	it('moves on to a new generation when one is full, compacts the old one and drops it', async () => {
		const { persistence, counter } = open({ generationRows: 3 });
		const name = newName();
		const other = newName();
		const source = new Y.Doc();
		const otherSource = new Y.Doc();
		for (const text of ['a', 'b', 'c']) await persistence.store(name, appendUpdate(source, text));
		const before = await generationsIn();
		// the next flush finds the generation full: it opens the next, and retires the full one
		await persistence.store(other, appendUpdate(otherSource, 'x'));
		await persistence.store(name, appendUpdate(source, 'd'));
		await expect.poll(() => counter('sync_log_generations_dropped_total'), SETTLED).toBe(1);
		const after = await generationsIn();
		expect(after.filter((g) => !before.includes(g))).toHaveLength(1);
		expect(before.filter((g) => !after.includes(g))).toHaveLength(1);

		const stored = await readStored(database, name);
		expect(stored.snapshot?.mergedSeq).toBe(3);
		expect(stored.live.map((row) => row.seq)).toEqual([4]);
		expect(eventsOf(stored.doc)).toEqual(['a', 'b', 'c', 'd']);
		expect(eventsOf((await readStored(database, other)).doc)).toEqual(['x']);
	});

	it('after a restart, retires what the earlier run left and numbers on from there', async () => {
		const first = open();
		const name = newName();
		const source = new Y.Doc();
		for (const text of ['a', 'b']) await first.persistence.store(name, appendUpdate(source, text));
		await first.persistence.close();
		const left = await generationsIn();

		const second = open();
		await second.persistence.open();
		await expect
			.poll(() => second.counter('sync_log_generations_dropped_total'), SETTLED)
			.toBeGreaterThan(0);
		const stored = await readStored(database, name);
		expect(stored.snapshot?.mergedSeq).toBe(2);
		expect(stored.log).toEqual([]);
		expect((await generationsIn()).some((g) => left.includes(g))).toBe(false);

		const loaded = new Y.Doc();
		Y.applyUpdate(loaded, (await second.persistence.load(name))!);
		expect(eventsOf(loaded)).toEqual(['a', 'b']);
		await second.persistence.store(name, appendUpdate(source, 'c'));
		expect((await readStored(database, name)).live.map((row) => row._id)).toEqual([`${name}#3`]);
	});

	it('refuses to load a document whose log lost a row, rather than serving less', async () => {
		const writer = open();
		const name = newName();
		const source = new Y.Doc();
		for (const text of ['a', 'b', 'c'])
			await writer.persistence.store(name, appendUpdate(source, text));
		const row = (await readStored(database, name)).log[1]!;
		for (const generation of await generationsIn()) {
			await database.db.collection(generation).deleteOne({ _id: row._id as never });
		}
		const reader = open({ retire: false }).persistence;
		await expect(reader.load(name)).rejects.toThrow(`log row ${name}#2 is missing`);
	});
});

describe('compaction', () => {
	it('merges the log into the snapshot; the merged rows go when their generation is dropped', async () => {
		const { persistence, counter } = open();
		const name = newName();
		const source = new Y.Doc();
		for (const text of ['a', 'b', 'c', 'd'])
			await persistence.store(name, appendUpdate(source, text));
		await persistence.compact(name);
		expect(await counter('sync_compactions_total')).toBe(1);
		let stored = await readStored(database, name);
		expect(stored.snapshot?.mergedSeq).toBe(4);
		expect(stored.live).toEqual([]);
		expect(stored.log).toHaveLength(4); // merged, still there: 1. snapshot, then 2. delete
		const fromSnapshot = new Y.Doc();
		Y.applyUpdate(fromSnapshot, new Uint8Array(stored.snapshot!.update.value()));
		expect(Y.encodeStateAsUpdate(fromSnapshot)).toEqual(Y.encodeStateAsUpdate(source));

		await persistence.rotateLog();
		stored = await readStored(database, name);
		expect(stored.log).toEqual([]);

		await persistence.store(name, appendUpdate(source, 'e'));
		expect((await readStored(database, name)).live.map((row) => row.seq)).toEqual([5]);
		const reloaded = new Y.Doc();
		Y.applyUpdate(reloaded, (await open({ retire: false }).persistence.load(name))!);
		expect(eventsOf(reloaded)).toEqual(['a', 'b', 'c', 'd', 'e']);
	});

	it('a crash between the snapshot and the drop: the rows are skipped, then dropped', async () => {
		const first = open();
		const name = newName();
		const source = new Y.Doc();
		for (const text of ['a', 'b', 'c'])
			await first.persistence.store(name, appendUpdate(source, text));
		await first.persistence.compact(name);
		await first.persistence.close(); // like a crash here: the merged rows are still stored
		expect((await readStored(database, name)).log).toHaveLength(3);

		const second = open();
		const loaded = new Y.Doc();
		Y.applyUpdate(loaded, (await second.persistence.load(name))!);
		expect(eventsOf(loaded)).toEqual(['a', 'b', 'c']);
		await expect.poll(async () => (await readStored(database, name)).log.length, SETTLED).toBe(0);
		expect((await readStored(database, name)).snapshot?.mergedSeq).toBe(3);
	});

	it('compacts a document once it has enough rows', async () => {
		const { persistence, counter } = open({ compactThreshold: 3 });
		const name = newName();
		const source = new Y.Doc();
		for (const text of ['a', 'b', 'c']) await persistence.store(name, appendUpdate(source, text));
		await expect.poll(() => counter('sync_compactions_total'), SETTLED).toBe(1);
		expect((await readStored(database, name)).snapshot?.mergedSeq).toBe(3);
	});
});

describe('the relay journal', () => {
	it('keeps what is not stored yet, and the next start stores it before anything loads', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'persistence-journal-'));
		try {
			const name = newName();
			const source = new Y.Doc();
			// a process that journaled two updates and died before its group commit
			const dead = new RelayJournal({ dir });
			dead.append(name, appendUpdate(source, 'relayed'));
			dead.append(name, appendUpdate(source, 'then died'));
			expect((await readStored(database, name)).logEntries).toBe(0);

			const journal = new RelayJournal({ dir });
			const { persistence } = open({ journal });
			await persistence.open();
			await journal.replay(
				(doc, update) => persistence.storeReplayed(doc, update),
				createLogger('persistence-test', 'silent')
			);
			expect(readdirSync(dir)).toEqual([]); // replayed: the segments are gone
			const loaded = new Y.Doc();
			Y.applyUpdate(loaded, (await persistence.load(name))!);
			expect(eventsOf(loaded)).toEqual(['relayed', 'then died']);

			// a live one: stored updates leave the journal, and a clean close leaves nothing
			await persistence.store(name, appendUpdate(source, 'live'));
			await persistence.close();
			expect(existsSync(dir)).toBe(false); // everything stored: nothing left, not even the folder
			expect(eventsOf((await readStored(database, name)).doc)).toEqual([
				'relayed',
				'then died',
				'live'
			]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('names the journal folder by a storage identity that a new database does not share', async () => {
		const [a, b] = await Promise.all([storageIdentity(database.db), storageIdentity(database.db)]);
		expect(a).toBe(b);
		expect(await storageIdentity(database.db)).toBe(a);
		const other = (await openTestDatabase('persistence_other')).database;
		try {
			expect(await storageIdentity(other.db)).not.toBe(a);
		} finally {
			await dropTestDatabase(other);
		}
	});
});

describe('compaction of a loaded document', () => {
	it('writes the snapshot from the state in memory, reading none of its rows', async () => {
		const { persistence, counter } = open();
		const name = newName();
		const source = new Y.Doc();
		for (const text of ['a', 'b', 'c']) await persistence.store(name, appendUpdate(source, text));
		persistence.loaded(name, source);
		// the rows are gone: merging them would fail, so a snapshot can only come from memory
		const [generation] = await generationsIn();
		await database.db.collection(generation!).deleteMany({});
		await persistence.rotateLog();
		expect(await counter('sync_compactions_from_memory_total')).toBe(1);
		expect(await counter('sync_compaction_failures_total')).toBe(0);
		const stored = await readStored(database, name);
		expect(stored.snapshot?.mergedSeq).toBe(3);
		expect(eventsOf(stored.doc)).toEqual(['a', 'b', 'c']);
		await expect.poll(generationsIn, SETTLED).not.toContain(generation);

		// a document that is not loaded is still merged from its rows
		const other = newName();
		await persistence.store(other, appendUpdate(new Y.Doc(), 'x'));
		await persistence.compact(other);
		expect(await counter('sync_compactions_from_memory_total')).toBe(1);
		expect(eventsOf((await readStored(database, other)).doc)).toEqual(['x']);

		// unloading compacts from memory a last time; after it, the rows are merged again
		await persistence.store(name, appendUpdate(source, 'd'));
		await persistence.unload(name);
		expect(await counter('sync_compactions_from_memory_total')).toBe(2);
		await persistence.store(name, appendUpdate(source, 'e'));
		await persistence.compact(name);
		expect(await counter('sync_compactions_from_memory_total')).toBe(2);
		expect(eventsOf((await readStored(database, name)).doc)).toEqual(['a', 'b', 'c', 'd', 'e']);

		// so is a document whose copy the server destroyed (released without an unload)
		persistence.loaded(name, source);
		source.destroy();
		await persistence.store(name, appendUpdate(new Y.Doc(), 'f'));
		await persistence.compact(name);
		expect(await counter('sync_compactions_from_memory_total')).toBe(2);
		expect(await counter('sync_compaction_failures_total')).toBe(0);
	});
});

describe('a load racing the retirement of a generation', () => {
	it('does not take an old snapshot for complete when the rows were merged meanwhile', async () => {
		const name = newName();
		const source = new Y.Doc();
		const earlier = open().persistence;
		for (const text of ['a', 'b', 'c']) await earlier.store(name, appendUpdate(source, text));
		await earlier.close(); // (a graceful stop compacts nothing: the rows wait in their generation)
		const [generation] = await generationsIn();

		// the load's snapshot read answers as the database was (no snapshot yet), but only after
		// the next start has retired that generation: merged the rows into a snapshot and dropped them
		const snapshots = database.collections.docSnapshots;
		const find = snapshots.find.bind(snapshots);
		let releaseHeld!: () => void;
		const held = new Promise<void>((resolve) => (releaseHeld = resolve));
		let holdNext = true;
		// (loads read snapshots in batches: `find` by `_id` or `_id: {$in}`, answered by toArray)
		snapshots.find = ((...args: Parameters<typeof find>) => {
			const cursor = find(...args);
			const id = (args[0] as { _id?: string | { $in?: string[] } } | undefined)?._id;
			const ids = typeof id === 'string' ? [id] : (id?.$in ?? []);
			if (!holdNext || !ids.includes(name)) return cursor;
			holdNext = false;
			const toArray = cursor.toArray.bind(cursor);
			cursor.toArray = async () => {
				const answer = await toArray();
				await held;
				return answer;
			};
			return cursor;
		}) as typeof snapshots.find;
		try {
			const next = open().persistence;
			await next.open();
			const loading = next.load(name);
			await expect.poll(generationsIn, SETTLED).not.toContain(generation);
			expect((await readStored(database, name)).snapshot?.mergedSeq).toBe(3);
			releaseHeld();
			const loaded = new Y.Doc();
			Y.applyUpdate(loaded, (await loading)!);
			expect(eventsOf(loaded)).toEqual(['a', 'b', 'c']);
		} finally {
			snapshots.find = find;
			releaseHeld();
		}
	});
});
