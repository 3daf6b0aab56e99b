// The feed writer against the real core (documents loaded, changed and stored through a
// SyncServer that does not listen), with documents kept in memory.
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { feedDocName, feedMap, writeMeta } from '../../../src/lib/order/index.ts';
import { PEOPLE, sampleMeta, serverDoc } from '../../../src/lib/order/test-fixtures.ts';
import { createLogger } from '../../../src/lib/shared/log.ts';
import { SyncDocument } from '../../core/document.ts';
import { SyncServer } from '../../core/server.ts';
import { testLimits } from '../../core/test-fixtures.ts';
import type { DispatchPrincipal } from '../principal.ts';
import { FeedWriter } from './feed-writer.ts';
import { LazyFeeds } from './lazy-feeds.ts';
import { readProjectedOrder, type ProjectedOrder } from './projected-order.ts';

const log = createLogger('feed-writer-test', 'silent');
const LIMITS = testLimits({ maxPendingUpgrades: 10, idleUnloadMs: 10, listenBacklog: 16 });

const admin = feedDocName('admin');
const open = feedDocName('open');
const customer = feedDocName('customer', PEOPLE.customer.userId);

const servers: Array<SyncServer<DispatchPrincipal>> = [];
afterEach(async () => {
	await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A core whose documents live in memory; `stored` lists every update it stored, by document. */
function memoryServer(options: { failing?: string } = {}) {
	const states = new Map<string, Y.Doc>();
	const stored: string[] = [];
	const server = new SyncServer<DispatchPrincipal>({
		limits: LIMITS,
		log,
		registry: new Registry(),
		extensions: () => [
			{
				name: 'memory',
				load: async (name) => {
					if (name === options.failing) throw new Error('disk on fire');
					const doc = states.get(name);
					return doc ? Y.encodeStateAsUpdate(doc) : null;
				},
				store: async (name, update) => {
					stored.push(name);
					let doc = states.get(name);
					if (!doc) states.set(name, (doc = new Y.Doc()));
					Y.applyUpdate(doc, update);
				}
			}
		]
	});
	servers.push(server);
	const entries = (name: string) =>
		server.withDocument(name, (document) => feedMap(document.doc).toJSON());
	return { server, stored, entries };
}

function order(orderId: string, options?: Parameters<typeof serverDoc>[0]): ProjectedOrder {
	const document = new SyncDocument(`order/${orderId}`, { durableReplica: false });
	const doc = serverDoc({ ...options, noMeta: true });
	writeMeta(doc, sampleMeta({ orderId }));
	Y.applyUpdate(document.doc, Y.encodeStateAsUpdate(doc));
	return readProjectedOrder(orderId, document)!;
}

function writer(
	server: SyncServer<DispatchPrincipal>,
	lazyMs: number,
	watched = new Set<string>()
) {
	const scheduled: string[] = [];
	const lazy = new LazyFeeds({
		lazyMs,
		isWatched: (feed) => watched.has(feed),
		schedule: (orderId) => scheduled.push(orderId)
	});
	return { feeds: new FeedWriter({ server, lazy, log }), lazy, scheduled };
}

describe('FeedWriter', () => {
	it('writes each feed a batch touches once, for all its orders', async () => {
		const { server, stored, entries } = memoryServer();
		const { feeds } = writer(server, 0);
		await feeds.write([order('o1'), order('o2'), order('o3', { claimed: true })]);
		expect(stored.filter((name) => name === admin)).toHaveLength(1);
		expect(stored.filter((name) => name === open)).toHaveLength(1);
		expect(stored.filter((name) => name === customer)).toHaveLength(1);
		expect(Object.keys(await entries(admin)).sort()).toEqual(['o1', 'o2', 'o3']);
		expect(Object.keys(await entries(open)).sort()).toEqual(['o1', 'o2']);

		// a claimed order leaves feed/open and enters its partner's feed
		stored.length = 0;
		await feeds.write([order('o1', { claimed: true })]);
		expect(Object.keys(await entries(open))).toEqual(['o2']);
		const partner = feedDocName('partner', PEOPLE.partner.userId);
		expect(Object.keys(await entries(partner)).sort()).toEqual(['o1', 'o3']);
		expect(stored.sort()).toEqual([admin, customer, open, partner]);

		// orders whose entries are as the feeds hold them change nothing
		stored.length = 0;
		await feeds.write([order('o1', { claimed: true }), order('o2')]);
		expect(stored).toEqual([]);
	});

	it('owes what a feed that is not due would get, and pays one order from the order in hand', async () => {
		const { server, stored, entries } = memoryServer();
		const watched = new Set([admin]);
		const { feeds, lazy } = writer(server, 60_000, watched);
		await feeds.write([order('o1')]);
		stored.length = 0;
		await feeds.write([order('o2'), order('o3')]);
		// only the feed someone has open is written; the others are owed both orders
		expect(stored).toEqual([admin]);
		expect(lazy.owedEntries()).toBe(4);
		expect(Object.keys(await entries(open))).toEqual(['o1']);

		const o2 = order('o2');
		await feeds.writeOwed(o2, lazy.owedTo('o2'));
		expect(lazy.owedEntries()).toBe(2);
		expect(Object.keys(await entries(open)).sort()).toEqual(['o1', 'o2']);
		expect(Object.keys(await entries(customer)).sort()).toEqual(['o1', 'o2']);
	});

	it('a feed that cannot be loaded is logged and left; the others are written', async () => {
		const { server, entries } = memoryServer({ failing: open });
		const { feeds } = writer(server, 0);
		await feeds.write([order('o1')]);
		expect(Object.keys(await entries(admin))).toEqual(['o1']);
		expect(Object.keys(await entries(customer))).toEqual(['o1']);
	});
});
