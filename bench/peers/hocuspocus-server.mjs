// @hocuspocus/server 4.x as the bench's peer, on 127.0.0.1 only: bare (no extensions, in
// memory), or with SQLITE_DATABASE=<file> its SQLite extension (@hocuspocus/extension-sqlite 4,
// better-sqlite3) as it ships: each document stored whole, debounced (2 s after a change, at most
// 10 s), and when its last client leaves. With REDIS_URL=redis://127.0.0.1:<port> it is one of
// several processes sharing documents through @hocuspocus/extension-redis 4 (as it ships: changes
// announced on the document's channel, a Redis lock so that one process at a time stores a
// document), HOCUSPOCUS_ID naming this process and REDIS_PREFIX its keys.
// Usage: PORT=1234 [SQLITE_DATABASE=/tmp/x/hocuspocus.sqlite] [REDIS_URL=redis://127.0.0.1:6379
//   HOCUSPOCUS_ID=a REDIS_PREFIX=bench] node bench/peers/hocuspocus-server.mjs
import { Redis } from '@hocuspocus/extension-redis';
import { SQLite } from '@hocuspocus/extension-sqlite';
import { Server } from '@hocuspocus/server';

const port = Number(process.env.PORT ?? 1234);
const database = process.env.SQLITE_DATABASE;
const redisUrl = process.env.REDIS_URL ? new URL(process.env.REDIS_URL) : null;
if (redisUrl && redisUrl.hostname !== '127.0.0.1') throw new Error('REDIS_URL: loopback only');
const sqlite = database ? new SQLite({ database }) : null;
const redis = redisUrl
	? new Redis({
			host: redisUrl.hostname,
			port: Number(redisUrl.port),
			...(process.env.HOCUSPOCUS_ID ? { identifier: process.env.HOCUSPOCUS_ID } : {}),
			...(process.env.REDIS_PREFIX ? { prefix: process.env.REDIS_PREFIX } : {})
		})
	: null;
const server = new Server({
	port,
	address: '127.0.0.1',
	quiet: true,
	// the Redis extension first (its priority puts it there anyway): its store hook takes the lock
	extensions: [redis, sqlite].filter((extension) => extension !== null),
	// SIGTERM/SIGINT are handled below, to say what was stored once the stores are done
	stopOnSignals: false
});
await server.listen();
console.log(
	`hocuspocus listening on 127.0.0.1:${port}` +
		(database ? `, storing documents in SQLite at "${database}"` : ', in memory') +
		(redisUrl ? `, sharing documents through Redis at ${redisUrl.host}` : '')
);

let stopping = false;
async function stop() {
	if (stopping) return;
	stopping = true;
	// runs the stores still debounced, then closes every connection and the server
	await server.destroy();
	if (sqlite?.db) {
		// what the file holds now, read through the extension's own connection
		const row = sqlite.db
			.prepare(
				'SELECT count(*) AS documents, coalesce(sum(length(data)), 0) AS bytes FROM documents'
			)
			.get();
		sqlite.db.close();
		console.log(`hocuspocus-sqlite stored ${row.documents} documents (${row.bytes} bytes)`);
	}
	process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
