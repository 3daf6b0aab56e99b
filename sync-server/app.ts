// The sync-server: the generic core and Dispatch's extensions, registered in the order their
// hooks run. Each extension is one concern: who is asking, which rooms they may open, what they
// may write, where documents are stored, what is derived from orders, the web app's service
// channel, revocation, and the operability endpoints.
import { join } from 'node:path';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { Database } from '../src/lib/shared/db.ts';
import type { Logger } from '../src/lib/shared/log.ts';
import { SyncServer } from './core/server.ts';
import { AuthCache, authentication } from './dispatch/authenticate.ts';
import { feeds } from './dispatch/feeds.ts';
import { operability } from './dispatch/operability.ts';
import { readRoutes } from './dispatch/read-routes.ts';
import type { DispatchPrincipal } from './dispatch/principal.ts';
import { Quotas } from './dispatch/quotas.ts';
import { revocation } from './dispatch/revocation.ts';
import { roomPolicy } from './dispatch/room-policy.ts';
import { serviceChannel } from './dispatch/service-channel.ts';
import { TtlCache } from './dispatch/ttl-cache.ts';
import { WritePolicy } from './dispatch/write-policy.ts';
import type { SyncConfig } from './config.ts';
import { persistence } from './persistence/extension.ts';
import { MongoPersistence } from './persistence/mongo-persistence.ts';
import { claimJournalSlots } from './persistence/journal-slots.ts';
import { RelayJournal, storageIdentity } from './persistence/relay-journal.ts';
import { StoredStateReader } from './persistence/stored-state.ts';
import { feedKindOf } from '../src/lib/order/index.ts';
import { batchedFindById } from '../src/lib/shared/find-by-id.ts';
import { connectRedis } from './scale-out/redis-link.ts';
import { replication } from './scale-out/replication.ts';
import { SharedLog } from './scale-out/shared-log.ts';
import { SharedPresence } from './scale-out/shared-presence.ts';
import { SharedWatchers } from './scale-out/shared-watchers.ts';
import { StorageWriter } from './scale-out/storage-writer.ts';

export interface SyncApp {
	server: SyncServer<DispatchPrincipal>;
	url: string;
	/** Graceful stop: refuse new sockets, close open ones, flush every pending update. */
	stop(): Promise<void>;
}

export async function startSyncApp(
	config: SyncConfig,
	deps: { database: Database; log: Logger }
): Promise<SyncApp> {
	const { database, log } = deps;
	const registry = new Registry();
	// the event loop delay is sampled every 100 ms, not every 10 (prom-client's default): a timer
	// waking the loop 100 times a second was half of an idle process's CPU
	collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
	// relay on accept: every update is journaled on this process's disk before the room hears it
	const journal = config.limits.relay === 'accepted' ? await openJournal(config, database) : null;
	const shared = config.redis ? await startSharing(config, database, log, registry, journal) : null;
	const storage = shared ? null : await openLocalStorage(config, database, log, registry, journal);
	const authCacheLookups = new Counter({
		name: 'sync_auth_cache_lookups_total',
		help: "Upgrades' lookups of sessions, users and order facts: answered from memory (hit) or read from the database (miss)",
		labelNames: ['cache', 'outcome'] as const,
		registers: [registry]
	});
	const authCache = new AuthCache(config.sessionCache, (cache, outcome) =>
		authCacheLookups.inc({ cache, outcome })
	);
	const writePolicy = new WritePolicy();
	const server = new SyncServer<DispatchPrincipal>({
		limits: config.limits,
		log,
		registry,
		// x-sync-process names the process as Redis and the logs know it (random when alone)
		processId: config.redis?.processId,
		extensions: (server) => [
			authentication({
				collections: database.collections,
				allowedOrigins: config.allowedOrigins,
				cache: authCache
			}),
			roomPolicy({
				collections: database.collections,
				quotas: new Quotas(config.quotas),
				facts: new TtlCache({
					...config.orderFactsCache,
					counted: (outcome) => authCacheLookups.inc({ cache: 'order_facts', outcome })
				})
			}),
			writePolicy,
			shared
				? replication({
						server,
						link: shared.link,
						sharedLog: shared.sharedLog,
						journal: journal?.journal,
						watchers: new SharedWatchers({
							link: shared.link,
							channel: `${config.redis!.prefix}watching`,
							processId: shared.sharedLog.processId,
							// only feeds are written lazily while nobody has them open (not orders)
							tracks: (name) => feedKindOf(name) !== null,
							openHere: () => server.watchedHere(),
							openedElsewhere: (name) => server.joinedElsewhere(name),
							log
						}),
						readStored: (name, tail) => shared.storedState.read(name, tail),
						log,
						registry
					})
				: persistence(storage!),
			feeds({
				server,
				collections: database.collections,
				log,
				secret: config.secret,
				registry,
				projectionDelayMs: config.projectionDelayMs,
				indexLazyMs: config.indexLazyMs,
				feedLazyMs: config.feedLazyMs,
				presence: shared?.presence
			}),
			serviceChannel({
				server,
				writePolicy,
				secret: config.secret,
				log,
				flushSoon: () => storage?.flushSoon()
			}),
			readRoutes({ server, secret: config.secret, log }),
			revocation({
				server,
				collections: database.collections,
				intervalMs: config.revocationIntervalMs,
				fullSweepMs: config.revocationFullSweepMs,
				log,
				cache: authCache
			}),
			operability({ database, registry })
		]
	});
	const address = await server.listen(config.port, config.host);
	shared?.writer.start();
	return {
		server,
		url: `http://${address.address}:${address.port}`,
		stop: async () => {
			await server.close();
			if (shared) {
				await shared.writer.stop();
				await shared.link.close();
			}
			journal?.close();
		}
	};
}

interface LocalJournal {
	journal: RelayJournal;
	/** Stores what processes gone from this disk left in their journals, then forgets them. */
	replay(store: (name: string, update: Uint8Array) => Promise<void>, log: Logger): Promise<void>;
	/** After a graceful stop: this process's slot goes, unless its journal still holds updates. */
	close(): void;
}

/**
 * The relay journal in a slot of this process's own under `SYNC_JOURNAL_DIR/<storage identity>`,
 * and the slots of processes that are gone (journal-slots.ts).
 */
async function openJournal(config: SyncConfig, database: Database): Promise<LocalJournal> {
	const slots = claimJournalSlots(join(config.journalDir, await storageIdentity(database.db)));
	const journal = new RelayJournal({ dir: slots.own });
	return {
		journal,
		async replay(store, log) {
			await journal.replay(store, log);
			for (const dir of slots.orphans) {
				await new RelayJournal({ dir }).replay(store, log);
				slots.drop(dir);
			}
		},
		close() {
			journal.close();
			slots.release();
		}
	};
}

/** One process alone on its database: the storage in MongoDB. */
async function openLocalStorage(
	config: SyncConfig,
	database: Database,
	log: Logger,
	registry: Registry,
	journal: LocalJournal | null
): Promise<MongoPersistence> {
	const storage = new MongoPersistence(database, {
		...config.persistence,
		journal: journal?.journal,
		log,
		registry
	});
	// what an earlier run left in the update log, and in the journals, must be stored and known
	// before any document loads
	await storage.open();
	await journal?.replay((name, update) => storage.storeReplayed(name, update), log);
	return storage;
}

/** Several processes on one database, through Redis: the shared log and its storage writer. */
async function startSharing(
	config: SyncConfig,
	database: Database,
	log: Logger,
	registry: Registry,
	journal: LocalJournal | null
) {
	const redis = config.redis!;
	const link = connectRedis(redis.url, log);
	const sharedLog = new SharedLog(link.publisher, redis.processId, redis.prefix, log);
	// what processes gone from this disk journaled goes into the shared log before any document
	// loads (waiting for Redis if it is away)
	await journal?.replay((name, update) => sharedLog.append(name, update), log);
	const writer = new StorageWriter({
		link,
		sharedLog,
		makeStorage: () => new MongoPersistence(database, { ...config.persistence, log, registry }),
		readIntervalMs: config.persistence.minFlushIntervalMs,
		log,
		registry
	});
	const presence = new SharedPresence({
		redis: link.command,
		prefix: redis.prefix,
		processId: redis.processId,
		log
	});
	log.info({ processId: redis.processId }, 'sharing documents with other processes through Redis');
	// snapshot lookups of loads, batched (a reconnect storm loads hundreds of documents at once)
	const storedState = new StoredStateReader(
		database.db,
		database.collections.docSnapshots,
		batchedFindById(database.collections.docSnapshots)
	);
	return { link, sharedLog, writer, presence, storedState };
}
