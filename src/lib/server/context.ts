// The web server's process-wide resources, created once by the `init` hook in hooks.server.ts.
import { loadWebConfig, type WebConfig } from './config.ts';
import { connectDatabase, type Database } from '../shared/db.ts';
import { createLogger, type Logger } from '../shared/log.ts';

export interface ServerContext {
	config: WebConfig;
	database: Database;
	log: Logger;
}

let context: ServerContext | null = null;
let starting: Promise<ServerContext> | null = null;

export function initServerContext(): Promise<ServerContext> {
	starting ??= (async () => {
		const config = loadWebConfig();
		const log = createLogger('web', config.logLevel);
		const database = await connectDatabase(config.mongodbUri, {
			appName: 'dispatch-web',
			serverSelectionTimeoutMS: config.dbTimeoutMs
		});
		context = { config, database, log };
		return context;
	})();
	return starting;
}

export function ctx(): ServerContext {
	if (!context) throw new Error('server context used before init');
	return context;
}
