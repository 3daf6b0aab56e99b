import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Ports for the servers tests and benches start. Asking the kernel for port 0 hands out a port of
// its ephemeral range (32768–60999 by default), the range every outgoing connection takes its
// local port from too: between the check and the server's own bind, a connection to the database
// could take it (EADDRINUSE, or worse, another server answering the readiness check). So ports
// are drawn below that range, and each one is claimed with a file naming the process that took
// it: two processes (vitest's workers, two runs side by side, a bench) never get the same port,
// and a claim is taken back once its process is gone.
const FIRST_PORT = 20_000;
const LAST_PORT = 32_767;
const CLAIMS = join(tmpdir(), 'dispatch-ports');

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** Claims `port` for this process (false if a live process holds it). */
function claim(port: number): boolean {
	const file = join(CLAIMS, String(port));
	try {
		writeFileSync(file, String(process.pid), { flag: 'wx' });
		return true;
	} catch {
		let holder = 0;
		try {
			holder = Number(readFileSync(file, 'utf8')) || 0;
		} catch {
			// released meanwhile
		}
		if (holder === process.pid || (holder > 0 && alive(holder))) return false;
	}
	try {
		unlinkSync(file);
		writeFileSync(file, String(process.pid), { flag: 'wx' });
		return true;
	} catch {
		return false;
	}
}

function bindable(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const srv = createServer();
		srv.unref();
		srv.once('error', () => resolve(false));
		srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
	});
}

/** A port no other process was given, free on 127.0.0.1 a moment ago, below the ephemeral range. */
export async function freePort(): Promise<number> {
	mkdirSync(CLAIMS, { recursive: true });
	for (let tries = 0; tries < 1_000; tries++) {
		const port = FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT + 1));
		if (claim(port) && (await bindable(port))) return port;
	}
	throw new Error(`no free port between ${FIRST_PORT} and ${LAST_PORT}`);
}
