// The rooms' lifecycle with in-memory extensions: one load however many ask, a failed load never
// served nor stored over, every change stored and reported once durable, idle documents unloaded.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ExtensionChain } from './extension-chain.ts';
import type { SyncExtension } from './extension.ts';
import { createCoreMetrics } from './metrics.ts';
import { Rooms } from './rooms.ts';
import { quietLogger, testLimits } from './test-fixtures.ts';
import type { Principal } from './types.ts';

const LIMITS = testLimits({ idleUnloadMs: 20 });

function roomsWith(extension: SyncExtension<Principal>) {
	const metrics = createCoreMetrics(new Registry(), { connections: () => 0, documents: () => 0 });
	const hooks = new ExtensionChain<Principal>([extension], quietLogger);
	return new Rooms<Principal>({ hooks, limits: LIMITS, log: quietLogger, metrics });
}

function memoryStorage(initial: Record<string, Uint8Array> = {}) {
	const loads: string[] = [];
	const stored: Array<[string, Uint8Array]> = [];
	const changed: string[] = [];
	const unloaded: string[] = [];
	const extension: SyncExtension<Principal> = {
		name: 'memory',
		load: async (name) => {
			loads.push(name);
			if (name === 'broken') throw new Error('disk on fire');
			return initial[name] ?? null;
		},
		store: async (name, update) => void stored.push([name, update]),
		changed: (name) => void changed.push(name),
		unload: async (document) => void unloaded.push(document.name)
	};
	return { extension, loads, stored, changed, unloaded };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Rooms', () => {
	it('loads a document once for everyone who asks at the same time', async () => {
		const seed = new Y.Doc();
		seed.getMap('m').set('k', 1);
		const storage = memoryStorage({ a: Y.encodeStateAsUpdate(seed) });
		const rooms = roomsWith(storage.extension);
		const [one, two] = await Promise.all([rooms.acquire('a'), rooms.acquire('a')]);
		expect(one).toBe(two);
		expect(storage.loads).toEqual(['a']);
		expect(one.doc.getMap('m').get('k')).toBe(1);
		expect(rooms.isLoaded('a')).toBe(true);
		// the stored state is not stored again
		expect(storage.stored).toEqual([]);
	});

	it('never serves a document whose load failed, and forgets it', async () => {
		const storage = memoryStorage();
		const rooms = roomsWith(storage.extension);
		await expect(rooms.acquire('broken')).rejects.toMatchObject({ status: 503 });
		expect(rooms.count).toBe(0);
		expect(storage.stored).toEqual([]);
	});

	it('stores every change, and reports it once it is durable', async () => {
		const storage = memoryStorage();
		const rooms = roomsWith(storage.extension);
		const document = await rooms.acquire('b');
		document.doc.getArray('list').push([1]);
		expect(storage.stored.map(([name]) => name)).toEqual(['b']);
		await sleep(0);
		expect(storage.changed).toEqual(['b']);
	});

	it('unloads a document nobody holds after the idle delay, and loads it again on demand', async () => {
		const storage = memoryStorage();
		const rooms = roomsWith(storage.extension);
		const document = await rooms.acquire('c');
		rooms.release(document);
		await sleep(LIMITS.idleUnloadMs + 30);
		expect(storage.unloaded).toEqual(['c']);
		expect(rooms.count).toBe(0);
		expect(document.released).toBe(true);
		const again = await rooms.acquire('c');
		expect(again).not.toBe(document);
		expect(storage.loads).toEqual(['c', 'c']);
		await rooms.closeAll();
		expect(rooms.count).toBe(0);
	});
});
