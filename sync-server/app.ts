// Wires the generic core to Dispatch: hooks, persistence, HTTP routes, the revocation sweep.
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Database } from '../src/lib/server/db.ts';
import type { Logger } from '../src/lib/server/log.ts';
import { SyncServer } from './core/server.ts';
import { createFeeds, type Feeds } from './dispatch/feeds.ts';
import { AuthCache } from './dispatch/authenticate.ts';
import { createDispatchHooks, type DocumentChangeListener } from './dispatch/hooks.ts';
import { createHttpRouter } from './dispatch/http.ts';
import type { DispatchPrincipal } from './dispatch/principal.ts';
import { Quotas } from './dispatch/quotas.ts';
import { startRevocationSweep } from './dispatch/revocation.ts';
import { createServiceChannel } from './dispatch/service-channel.ts';
import { TtlCache } from './dispatch/ttl-cache.ts';
import { WritePolicy } from './dispatch/write-policy.ts';
import type { SyncConfig } from './config.ts';
import { MongoPersistence } from './persistence/mongo-persistence.ts';
import { RelayJournal, storageIdentity } from './persistence/relay-journal.ts';

export interface SyncApp {
	server: SyncServer<DispatchPrincipal>;
	persistence: MongoPersistence;
	url: string;
	/** Graceful stop: refuse new sockets, close open ones, flush every pending update. */
	stop(): Promise<void>;
}

export async function startSyncApp(
	config: SyncConfig,
	deps: { database: Database; log: Logger; onChange?: DocumentChangeListener }
): Promise<SyncApp> {
	const { database, log } = deps;
	const registry = new Registry();
	collectDefaultMetrics({ register: registry });
	const persistence = new MongoPersistence(database, {
		...config.persistence,
		journal:
			config.limits.relay === 'accepted'
				? new RelayJournal({ dir: join(config.journalDir, await storageIdentity(database.db)) })
				: undefined,
		log,
		registry
	});
	// what an earlier run left in the update log, and in the journal, must be stored and known
	// before any document loads
	await persistence.open();
	await persistence.replayJournal();
	const writePolicy = new WritePolicy();
	let feeds: Feeds | null = null;
	const authCache = new AuthCache(config.authCache);
	const hooks = createDispatchHooks({
		collections: database.collections,
		allowedOrigins: config.allowedOrigins,
		quotas: new Quotas(config.quotas),
		authCache,
		orderFacts: new TtlCache(config.authCache),
		writePolicy,
		persistence,
		onChange: (name, doc, update, origin) => {
			feeds?.changed(name);
			deps.onChange?.(name, doc, update, origin);
		},
		onLoaded: (document) => feeds?.loaded(document),
		onJoined: (document) => feeds?.joined(document),
		onUnloading: async (document) => feeds?.unloading(document)
	});
	let route: ReturnType<typeof createHttpRouter> | null = null;
	const server = new SyncServer<DispatchPrincipal>({
		hooks,
		limits: config.limits,
		log,
		registry,
		handleHttp: (req, res) => route!(req, res)
	});
	persistence.useLiveState((name) => server.currentState(name));
	const service = createServiceChannel({
		server,
		writePolicy,
		secret: config.secret,
		log,
		flushSoon: () => persistence.flushSoon()
	});
	feeds = createFeeds({
		server,
		collections: database.collections,
		log,
		secret: config.secret,
		registry,
		projectionDelayMs: config.projectionDelayMs,
		indexLazyMs: config.indexLazyMs,
		feedLazyMs: config.feedLazyMs
	});
	route = createHttpRouter({ database, registry, service, partners: feeds.partnerRoute });
	const revocation = startRevocationSweep({
		server,
		collections: database.collections,
		intervalMs: config.revocationIntervalMs,
		fullSweepMs: config.revocationFullSweepMs,
		log,
		cache: authCache
	});
	const address = await server.listen(config.port, config.host);
	await feeds.start();
	const url = `http://${address.address}:${address.port}`;
	let stopping: Promise<void> | null = null;
	return {
		server,
		persistence,
		url,
		stop: () =>
			(stopping ??= (async () => {
				revocation.stop();
				persistence.windDown();
				await feeds?.stop();
				await server.close();
				await persistence.close();
			})())
	};
}
