// The sync-server process: config → database → server → listen; SIGTERM/SIGINT stop it gracefully.
import { ConfigError } from '../src/lib/shared/env.ts';
import { connectDatabase } from '../src/lib/shared/db.ts';
import { createLogger } from '../src/lib/shared/log.ts';
import { startSyncApp } from './app.ts';
import { loadSyncConfig } from './config.ts';
import { QUOTAS_PER_PROCESS } from './dispatch/quotas.ts';

async function main(): Promise<void> {
	let config;
	try {
		config = loadSyncConfig();
	} catch (error) {
		if (error instanceof ConfigError) {
			console.error(`sync-server: ${error.message}`);
			process.exit(1);
		}
		throw error;
	}
	const log = createLogger('sync', config.logLevel);
	const database = await connectDatabase(config.mongodbUri, {
		appName: 'dispatch-sync',
		// enough for every open socket's auth plus flushes and loads running together
		maxPoolSize: 50,
		serverSelectionTimeoutMS: config.dbTimeoutMs
	}).catch((error: unknown) => {
		log.fatal({ err: error }, 'cannot reach the database');
		process.exit(1);
	});
	const app = await startSyncApp(config, { database, log });
	log.info(
		{
			url: app.url,
			process: app.server.processId,
			origins: config.allowedOrigins,
			persistDelayMs: config.persistence.persistDelayMs
		},
		'sync-server listening'
	);
	log.info({ quotas: config.quotas }, QUOTAS_PER_PROCESS);

	let stopping = false;
	const shutdown = (signal: string) => {
		if (stopping) {
			log.warn({ signal }, 'second signal: exiting now');
			process.exit(1);
		}
		stopping = true;
		log.info({ signal }, 'shutting down: closing sockets, flushing updates');
		const deadline = setTimeout(() => {
			log.error('shutdown timed out; exiting with updates possibly unflushed');
			process.exit(1);
		}, config.shutdownTimeoutMs);
		deadline.unref();
		app
			.stop()
			.then(() => database.close())
			.then(() => {
				log.info('sync-server stopped');
				process.exit(0);
			})
			.catch((error: unknown) => {
				log.error({ err: error }, 'shutdown failed');
				process.exit(1);
			});
	};
	process.on('SIGTERM', () => shutdown('SIGTERM'));
	process.on('SIGINT', () => shutdown('SIGINT'));
	process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
}

void main();
