import { createServer } from 'node:net';

// Ports for the servers tests and benches start. Asking the kernel for port 0 hands out a port of
// its ephemeral range (32768–60999 by default), the range every outgoing connection takes its
// local port from too: between the check and the server's own bind, a connection to the database
// could take it (EADDRINUSE, or worse, another server answering the readiness check). So ports
// are picked below that range, each vitest worker in a block of its own (the main process and
// other programs in block 0), from a random start in the block so that two runs side by side
// rarely meet; a port is only handed out once binding it worked.
const FIRST_PORT = 20_000;
const BLOCK_SIZE = 1_000;
const BLOCKS = 12; // 20000–31999

const poolId = Number(process.env.VITEST_POOL_ID ?? 0);
const block = Number.isSafeInteger(poolId) && poolId > 0 ? poolId % BLOCKS : 0;
let offset = Math.floor(Math.random() * BLOCK_SIZE);

function bindable(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const srv = createServer();
		srv.unref();
		srv.once('error', () => resolve(false));
		srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
	});
}

/** A port that was free on 127.0.0.1 a moment ago, outside the kernel's ephemeral range. */
export async function freePort(): Promise<number> {
	for (let tries = 0; tries < BLOCK_SIZE; tries++) {
		const port = FIRST_PORT + block * BLOCK_SIZE + (offset++ % BLOCK_SIZE);
		if (await bindable(port)) return port;
	}
	throw new Error(`no free port in ${FIRST_PORT + block * BLOCK_SIZE}+${BLOCK_SIZE}`);
}
