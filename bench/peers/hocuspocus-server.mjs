// @hocuspocus/server 4.x as the bench's peer, on 127.0.0.1 only: bare (no extensions, in
// memory), or with SQLITE_DATABASE=<file> its SQLite extension (@hocuspocus/extension-sqlite 4,
// better-sqlite3) as it ships: each document stored whole, debounced (2 s after a change, at most
// 10 s), and when its last client leaves.
// Usage: PORT=1234 [SQLITE_DATABASE=/tmp/x/hocuspocus.sqlite] node bench/peers/hocuspocus-server.mjs
import { SQLite } from '@hocuspocus/extension-sqlite';
import { Server } from '@hocuspocus/server';

const port = Number(process.env.PORT ?? 1234);
const database = process.env.SQLITE_DATABASE;
const sqlite = database ? new SQLite({ database }) : null;
const server = new Server({
	port,
	address: '127.0.0.1',
	quiet: true,
	extensions: sqlite ? [sqlite] : [],
	// SIGTERM/SIGINT are handled below, to say what was stored once the stores are done
	stopOnSignals: false
});
await server.listen();
console.log(
	`hocuspocus listening on 127.0.0.1:${port}` +
		(database ? `, storing documents in SQLite at "${database}"` : ', in memory')
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
