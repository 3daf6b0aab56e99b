// @hocuspocus/server 3.x, bare (no extensions, in memory), as the bench's second peer.
// Usage: PORT=1234 node bench/peers/hocuspocus-server.mjs
import { Server } from '@hocuspocus/server';

const port = Number(process.env.PORT ?? 1234);
const server = new Server({
	port,
	address: '127.0.0.1',
	quiet: true,
	// stop cleanly on SIGTERM/SIGINT, like the other two servers
	stopOnSignals: true
});
await server.listen();
console.log(`hocuspocus listening on 127.0.0.1:${port}`);
