// The sync-server: the generic core and Dispatch's extensions, registered in the order their
// hooks run. Each extension is one concern: who is asking, which rooms they may open, what they
// may write, where documents are stored, what is derived from orders, the web app's service
// channel, revocation, and the operability endpoints.
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
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
import { RelayJournal, storageIdentity } from './persistence/relay-journal.ts';

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
	collectDefaultMetrics({ register: registry });
	const storage = new MongoPersistence(database, {
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
	await storage.open();
	await storage.replayJournal();
	const authCache = new AuthCache(config.authCache);
	const writePolicy = new WritePolicy();
	const server = new SyncServer<DispatchPrincipal>({
		limits: config.limits,
		log,
		registry,
		extensions: (server) => [
			authentication({
				collections: database.collections,
				allowedOrigins: config.allowedOrigins,
				cache: authCache
			}),
			roomPolicy({
				collections: database.collections,
				quotas: new Quotas(config.quotas),
				facts: new TtlCache(config.authCache)
			}),
			writePolicy,
			persistence(storage, server),
			feeds({
				server,
				collections: database.collections,
				log,
				secret: config.secret,
				registry,
				projectionDelayMs: config.projectionDelayMs,
				indexLazyMs: config.indexLazyMs,
				feedLazyMs: config.feedLazyMs
			}),
			serviceChannel({
				server,
				writePolicy,
				secret: config.secret,
				log,
				flushSoon: () => storage.flushSoon()
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
	return {
		server,
		url: `http://${address.address}:${address.port}`,
		stop: () => server.close()
	};
}
