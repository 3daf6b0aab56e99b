// The Yjs storage on its own, against the real database: group commits, `_id`-keyed log
// documents, the sequence guard against a second writer, and crash-safe compaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binary } from 'mongodb';
import { Registry } from 'prom-client';
import * as Y from 'yjs';
import type { Database } from '../../src/lib/server/db.ts';
import { createLogger } from '../../src/lib/server/log.ts';
import { MongoPersistence } from '../../sync-server/persistence/mongo-persistence.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import { readStored } from '../support/sync-clients.ts';

let database: Database;
const opened: MongoPersistence[] = [];

beforeAll(async () => {
	database = (await openTestDatabase('persistence')).database;
});

afterAll(async () => {
	await Promise.all(opened.map((p) => p.close()));
	await dropTestDatabase(database);
});

function open(options: { persistDelayMs?: number; compactThreshold?: number } = {}) {
	const registry = new Registry();
	const persistence = new MongoPersistence(database.collections, {
		persistDelayMs: options.persistDelayMs ?? 0,
		compactThreshold: options.compactThreshold ?? 1000,
		maxFlushAttempts: 5,
		log: createLogger('persistence-test', 'silent'),
		registry
	});
	opened.push(persistence);
	const counter = async (name: string) =>
		(await registry.getSingleMetric(name)!.get()).values.reduce((sum, v) => sum + v.value, 0);
	return { persistence, counter };
}

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
		for (const name of names)
			expect((await readStored(database.collections, name)).logEntries).toBe(1);

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
			const stored = await readStored(database.collections, name);
			expect(stored.logEntries).toBe(2);
			expect(stored.log.map((entry) => entry.seq)).toEqual([1, 2]);
			expect(eventsOf(stored.doc)).toEqual(eventsOf(source[i]!));
		}
	});

	it('with a batching delay, holds updates for that long (nothing durable before)', async () => {
		const { persistence } = open({ persistDelayMs: 400 });
		const name = newName();
		const stored = persistence.store(name, appendUpdate(new Y.Doc(), 'a'));
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect((await readStored(database.collections, name)).logEntries).toBe(0);
		await stored;
		expect((await readStored(database.collections, name)).logEntries).toBe(1);
	});
});

describe('the log document', () => {
	it('keeps one MongoDB document per Y.Doc with its entries and last sequence number', async () => {
		const { persistence } = open();
		const name = newName();
		const source = new Y.Doc();
		for (const text of ['a', 'b', 'c']) await persistence.store(name, appendUpdate(source, text));
		const logDoc = await database.collections.docLogs.findOne({ _id: name });
		expect(logDoc?.lastSeq).toBe(3);
		expect(logDoc?.entries.map((entry) => entry.seq)).toEqual([1, 2, 3]);
		expect(await database.collections.docLogs.countDocuments({ _id: name })).toBe(1);

		const loaded = new Y.Doc();
		Y.applyUpdate(loaded, (await open().persistence.load(name))!);
		expect(eventsOf(loaded)).toEqual(['a', 'b', 'c']);
	});

	it('a second writer takes the next sequence number: the first re-reads it and loses nothing', async () => {
		const one = open().persistence;
		const two = open().persistence;
		const name = newName();
		const a = new Y.Doc();
		const b = new Y.Doc();
		await one.store(name, appendUpdate(a, 'from one'));
		await two.store(name, appendUpdate(b, 'from two')); // two has never seen seq 1: reads it first
		await one.store(name, appendUpdate(a, 'one again')); // one believes seq 2 is free: collides
		const logDoc = await database.collections.docLogs.findOne({ _id: name });
		expect(logDoc?.entries.map((entry) => entry.seq)).toEqual([1, 2, 3]);
		const stored = await readStored(database.collections, name);
		expect(eventsOf(stored.doc).sort()).toEqual(['from one', 'from two', 'one again'].sort());
	});

	it('refuses to load a log whose entries are damaged, rather than serving less', async () => {
		const name = newName();
		await database.collections.docLogs.insertOne({
			_id: name,
			lastSeq: 1,
			entries: 'not a list' as never,
			updatedAt: new Date()
		});
		await expect(open().persistence.load(name)).rejects.toThrow(/damaged update log/);
	});
});

describe('compaction', () => {
	it('merges the log into the snapshot, keeps lastSeq, and numbers later entries after it', async () => {
		const { persistence, counter } = open();
		const name = newName();
		const source = new Y.Doc();
		for (const text of ['a', 'b', 'c', 'd'])
			await persistence.store(name, appendUpdate(source, text));
		await persistence.compact(name);
		expect(await counter('sync_compactions_total')).toBe(1);
		const snapshot = await database.collections.docSnapshots.findOne({ _id: name });
		const logDoc = await database.collections.docLogs.findOne({ _id: name });
		expect(snapshot?.mergedSeq).toBe(4);
		expect(logDoc?.entries).toEqual([]);
		expect(logDoc?.lastSeq).toBe(4);
		const fromSnapshot = new Y.Doc();
		Y.applyUpdate(fromSnapshot, new Uint8Array(snapshot!.update.value()));
		expect(Y.encodeStateAsUpdate(fromSnapshot)).toEqual(Y.encodeStateAsUpdate(source));

		await persistence.store(name, appendUpdate(source, 'e'));
		const after = await database.collections.docLogs.findOne({ _id: name });
		expect(after?.entries.map((entry) => entry.seq)).toEqual([5]);
		const reloaded = new Y.Doc();
		Y.applyUpdate(reloaded, (await open().persistence.load(name))!);
		expect(eventsOf(reloaded)).toEqual(['a', 'b', 'c', 'd', 'e']);
	});

	it('a crash between the snapshot and the trim: load skips what the snapshot merged', async () => {
		const name = newName();
		const source = new Y.Doc();
		const updates = ['a', 'b', 'c'].map((text) => appendUpdate(source, text));
		const merged = new Y.Doc();
		Y.applyUpdate(merged, updates[0]!);
		Y.applyUpdate(merged, updates[1]!);
		// the state compaction leaves when it dies after step 1: snapshot up to 2, log still 1..3
		await database.collections.docSnapshots.insertOne({
			_id: name,
			update: new Binary(Y.encodeStateAsUpdate(merged)),
			stateVector: new Binary(Y.encodeStateVector(merged)),
			mergedSeq: 2,
			updatedAt: new Date()
		});
		await database.collections.docLogs.insertOne({
			_id: name,
			lastSeq: 3,
			entries: updates.map((update, i) => ({
				seq: i + 1,
				update: new Binary(update),
				at: new Date()
			})),
			updatedAt: new Date()
		});
		const { persistence } = open();
		const loaded = new Y.Doc();
		Y.applyUpdate(loaded, (await persistence.load(name))!);
		expect(eventsOf(loaded)).toEqual(['a', 'b', 'c']);
		// the next compaction finishes the job
		await persistence.compact(name);
		const logDoc = await database.collections.docLogs.findOne({ _id: name });
		expect(logDoc?.entries).toEqual([]);
		expect((await database.collections.docSnapshots.findOne({ _id: name }))?.mergedSeq).toBe(3);
	});

	it('compacts a log that grows large in bytes, whatever its entry count', async () => {
		const { persistence, counter } = open({ compactThreshold: 1000 });
		const name = newName();
		const source = new Y.Doc();
		const text = source.getText('note');
		for (let i = 0; i < 3; i++) {
			let update: Uint8Array | null = null;
			const capture = (u: Uint8Array) => (update = u);
			source.on('update', capture);
			text.insert(text.length, String(i).repeat(800 * 1024));
			source.off('update', capture);
			await persistence.store(name, update!);
		}
		await expect
			.poll(() => counter('sync_compactions_total'), { timeout: 20_000, interval: 100 })
			.toBe(1);
		const stored = await readStored(database.collections, name);
		expect(stored.snapshot?.mergedSeq).toBe(3);
		expect(stored.doc.getText('note').length).toBe(3 * 800 * 1024);
	});
});
