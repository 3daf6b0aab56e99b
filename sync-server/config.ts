// The sync-server's configuration, validated at boot: one line per bad variable, then exit(1).
import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import {
	logLevel,
	mongoUri,
	optional,
	originList,
	parseEnv,
	port,
	nonNegativeInt,
	positiveInt,
	syncSecret
} from '../src/lib/shared/env.ts';

const DEFAULT_ORIGINS = 'http://localhost:3000,http://127.0.0.1:3000';
const MiB = 1024 * 1024;

function schema(production: boolean) {
	return z.object({
		NODE_ENV: optional(z.string()),
		SYNC_PORT: port(3001),
		SYNC_HOST: z.preprocess(
			(v) => (v === '' || v === undefined ? '127.0.0.1' : v),
			z.string().min(1, 'must be a host name or address')
		),
		MONGODB_URI: mongoUri,
		ALLOWED_ORIGINS: originList(DEFAULT_ORIGINS),
		ORIGIN: optional(z.string().url('must be the public URL of the web app')),
		SYNC_SECRET: syncSecret(production),
		// several processes sharing documents (docs/sync-server.md, "Several processes")
		REDIS_URL: optional(z.string().regex(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL')),
		REDIS_PREFIX: optional(
			z.string().regex(/^[\w:.-]{1,40}$/, 'must be 1-40 letters, digits, _ : . or -')
		),
		SYNC_PROCESS_ID: optional(
			z.string().regex(/^[\w.-]{1,100}$/, 'must be 1-100 letters, digits, _ . or -')
		),
		LOG_LEVEL: logLevel,
		SYNC_MAX_MESSAGE_BYTES: positiveInt(MiB),
		SYNC_MAX_DOCUMENT_BYTES: positiveInt(MiB),
		SYNC_MESSAGES_PER_SECOND: positiveInt(50),
		SYNC_MESSAGE_BURST: positiveInt(100),
		SYNC_MAX_BUFFERED_BYTES: positiveInt(8 * MiB),
		SYNC_MAX_PRESENCE_BYTES: positiveInt(2048),
		SYNC_PRESENCE_BYTES_PER_SECOND: positiveInt(8192),
		SYNC_ROOMS_CUSTOMER: positiveInt(20),
		SYNC_ROOMS_PARTNER: positiveInt(50),
		SYNC_ROOMS_ADMIN: positiveInt(2000),
		SYNC_CONNECTIONS_CUSTOMER: positiveInt(40),
		SYNC_CONNECTIONS_PARTNER: positiveInt(100),
		SYNC_CONNECTIONS_ADMIN: positiveInt(4000),
		SYNC_PERSIST_DELAY_MS: nonNegativeInt(0).pipe(z.number().max(10_000, 'must be at most 10000')),
		SYNC_PERSIST_INTERVAL_MS: nonNegativeInt(50).pipe(
			z.number().max(10_000, 'must be at most 10000')
		),
		SYNC_PROJECTION_DELAY_MS: positiveInt(250).pipe(
			z.number().max(10_000, 'must be at most 10000')
		),
		SYNC_INDEX_LAZY_MS: nonNegativeInt(5_000).pipe(z.number().max(60_000, 'must be at most 60000')),
		SYNC_FEED_LAZY_MS: nonNegativeInt(60_000).pipe(z.number().max(60_000, 'must be at most 60000')),
		SYNC_IDLE_UNLOAD_MS: positiveInt(30_000),
		SYNC_RELAY: optional(z.enum(['durable', 'accepted'], { error: 'must be durable or accepted' })),
		SYNC_JOURNAL_DIR: optional(
			z.string().refine((dir) => isAbsolute(dir), 'must be an absolute directory path')
		),
		SYNC_COMPACT_THRESHOLD: positiveInt(200),
		SYNC_LOG_GENERATION_ROWS: positiveInt(20_000),
		SYNC_LOG_GENERATION_AGE_MS: positiveInt(60_000),
		SYNC_AUTH_CONCURRENCY: positiveInt(64),
		SYNC_SESSION_CACHE_MS: nonNegativeInt(30_000).pipe(
			z.number().max(600_000, 'must be at most 600000')
		),
		SYNC_AUTH_CACHE_MS: nonNegativeInt(2_000).pipe(z.number().max(10_000, 'must be at most 10000')),
		SYNC_AUTH_CACHE_ENTRIES: positiveInt(20_000),
		SYNC_LOAD_CONCURRENCY: positiveInt(8),
		SYNC_MAX_PENDING_UPGRADES: positiveInt(5000),
		SYNC_LISTEN_BACKLOG: positiveInt(4096).pipe(z.number().max(65_535, 'must be at most 65535')),
		SYNC_LOAD_TIMEOUT_MS: positiveInt(10_000),
		SYNC_REVOCATION_INTERVAL_MS: positiveInt(2_000),
		SYNC_REVOCATION_FULL_SWEEP_MS: positiveInt(30_000),
		SYNC_PING_INTERVAL_MS: positiveInt(30_000),
		SYNC_MAX_FLUSH_ATTEMPTS: positiveInt(5),
		SYNC_SHUTDOWN_TIMEOUT_MS: positiveInt(15_000),
		SYNC_DB_TIMEOUT_MS: positiveInt(5_000)
	});
}

export function loadSyncConfig(env: Record<string, string | undefined> = process.env) {
	const production = env.NODE_ENV === 'production';
	const e = parseEnv(schema(production), env);
	const origins = new Set(e.ALLOWED_ORIGINS);
	if (e.ORIGIN) origins.add(new URL(e.ORIGIN).origin);
	return {
		production,
		port: e.SYNC_PORT,
		host: e.SYNC_HOST,
		mongodbUri: e.MONGODB_URI,
		/** How long a database operation waits for a reachable server before it fails. */
		dbTimeoutMs: e.SYNC_DB_TIMEOUT_MS,
		allowedOrigins: [...origins],
		secret: e.SYNC_SECRET,
		/**
		 * With Redis, several sync-server processes share the documents of one database
		 * (docs/sync-server.md, "Several processes"); without it this process must be the only one.
		 */
		redis: e.REDIS_URL
			? {
					url: e.REDIS_URL,
					/** Key and channel prefix: several deployments can share one Redis. */
					prefix: e.REDIS_PREFIX ?? 'dispatch:',
					/** This process among those sharing the documents (logs, the storage writer's lease). */
					processId:
						e.SYNC_PROCESS_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
				}
			: null,
		logLevel: e.LOG_LEVEL,
		limits: {
			maxMessageBytes: e.SYNC_MAX_MESSAGE_BYTES,
			maxDocumentBytes: e.SYNC_MAX_DOCUMENT_BYTES,
			messagesPerSecond: e.SYNC_MESSAGES_PER_SECOND,
			messageBurst: e.SYNC_MESSAGE_BURST,
			maxBufferedBytes: e.SYNC_MAX_BUFFERED_BYTES,
			maxAwarenessClientsPerConnection: 4,
			maxAwarenessStateBytes: e.SYNC_MAX_PRESENCE_BYTES,
			awarenessBytesPerSecond: e.SYNC_PRESENCE_BYTES_PER_SECOND,
			authConcurrency: e.SYNC_AUTH_CONCURRENCY,
			loadConcurrency: e.SYNC_LOAD_CONCURRENCY,
			maxPendingUpgrades: e.SYNC_MAX_PENDING_UPGRADES,
			loadTimeoutMs: e.SYNC_LOAD_TIMEOUT_MS,
			idleUnloadMs: e.SYNC_IDLE_UNLOAD_MS,
			relay: e.SYNC_RELAY ?? ('accepted' as const),
			pingIntervalMs: e.SYNC_PING_INTERVAL_MS,
			listenBacklog: e.SYNC_LISTEN_BACKLOG
		},
		quotas: {
			rooms: {
				customer: e.SYNC_ROOMS_CUSTOMER,
				partner: e.SYNC_ROOMS_PARTNER,
				admin: e.SYNC_ROOMS_ADMIN
			},
			connections: {
				customer: e.SYNC_CONNECTIONS_CUSTOMER,
				partner: e.SYNC_CONNECTIONS_PARTNER,
				admin: e.SYNC_CONNECTIONS_ADMIN
			}
		},
		/**
		 * Where updates relayed before they are durable are journaled (relay on accept only), in a
		 * folder per database and a slot per process (relay-journal.ts, journal-slots.ts). The
		 * default, in the temporary directory, outlives a crash of the process, which is what it is
		 * for; a deployment keeps it where a restart finds it again.
		 */
		journalDir: e.SYNC_JOURNAL_DIR ?? join(tmpdir(), 'dispatch-sync-journal'),
		persistence: {
			persistDelayMs: e.SYNC_PERSIST_DELAY_MS,
			minFlushIntervalMs: e.SYNC_PERSIST_INTERVAL_MS,
			compactThreshold: e.SYNC_COMPACT_THRESHOLD,
			generationRows: e.SYNC_LOG_GENERATION_ROWS,
			generationAgeMs: e.SYNC_LOG_GENERATION_AGE_MS,
			maxFlushAttempts: e.SYNC_MAX_FLUSH_ATTEMPTS
		},
		/** How long order changes are gathered before the index and feeds are updated. */
		projectionDelayMs: e.SYNC_PROJECTION_DELAY_MS,
		/** How long an index row's activity-only change (updatedAt, conflicts) may wait (0: never). */
		indexLazyMs: e.SYNC_INDEX_LAZY_MS,
		/** How long a feed nobody has open may go without being written (0: never waits). */
		feedLazyMs: e.SYNC_FEED_LAZY_MS,
		revocationIntervalMs: e.SYNC_REVOCATION_INTERVAL_MS,
		revocationFullSweepMs: e.SYNC_REVOCATION_FULL_SWEEP_MS,
		/**
		 * How long a validated session and its user are reused by upgrades (0: off). Logouts reach
		 * it through the revocation poll and changes behind the web app's back through the full
		 * sweep, which re-check cached sessions too: its lifetime only saves lookups.
		 */
		sessionCache: { ttlMs: e.SYNC_SESSION_CACHE_MS, maxEntries: e.SYNC_AUTH_CACHE_ENTRIES },
		/** How long an order's people are reused by upgrades (0: off): a rolled-back claim's bound. */
		orderFactsCache: { ttlMs: e.SYNC_AUTH_CACHE_MS, maxEntries: e.SYNC_AUTH_CACHE_ENTRIES },
		shutdownTimeoutMs: e.SYNC_SHUTDOWN_TIMEOUT_MS
	};
}

export type SyncConfig = ReturnType<typeof loadSyncConfig>;
