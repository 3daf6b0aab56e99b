// The servers under test, each started as its own (pinned) child process on 127.0.0.1:
// ours (the real sync-server, bundled from source like `npm run build:sync`), the bare
// @y/websocket-server 0.1.1 (its own bin), the same bin storing updates in LevelDB, a bare
// @hocuspocus/server 4.x, and the same storing documents with its SQLite extension. Ours and
// Hocuspocus can also run as one of several processes sharing documents through Redis.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { WebSocket } from 'ws';
import { freePort } from '../tests/support/ports.ts';
import type { ServerName } from './options.ts';
import { spawnChild, waitForHttp, type Child } from './processes.ts';
import type { WireProtocol } from './load/protocol.ts';

export const BENCH_DIR = 'test-results/bench';
export const BENCH_ORIGIN = 'http://127.0.0.1:3000';
export const BENCH_SECRET = 'bench-sync-secret-0123456789abcdef';

export interface RunningServer {
	name: ServerName;
	child: Child;
	pid: number;
	httpUrl: string;
	wsUrl: string;
	protocol: WireProtocol['kind'];
	/**
	 * A full garbage collection in the server, then its live memory, through its inspector
	 * (every server runs with `--inspect` on 127.0.0.1 and a free port; nothing is attached
	 * otherwise): what the server keeps, not how much garbage it has yet to free.
	 */
	liveMemory(): Promise<LiveMemory>;
	stop(): Promise<void>;
}

/** `process.memoryUsage()` of the server right after a full GC, bytes. */
interface LiveMemory {
	rss: number;
	heapUsed: number;
	/** Memory of C++ objects bound to JS ones (buffers, sockets' native parts). */
	external: number;
}

/** Node's inspector announces itself on stderr: `Debugger listening on ws://127.0.0.1:P/ID`. */
const INSPECTOR_URL = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/;
const INSPECT = '--inspect=127.0.0.1:0';

async function liveMemoryOf(child: Child): Promise<LiveMemory> {
	const url = INSPECTOR_URL.exec(child.output())?.[1];
	if (!url) throw new Error(`${child.name}: no inspector URL in its output`);
	const socket = new WebSocket(url);
	const replies = new Map<number, (reply: InspectorReply) => void>();
	socket.on('message', (data) => {
		const reply = JSON.parse(String(data)) as InspectorReply;
		if (reply.id !== undefined) replies.get(reply.id)?.(reply);
	});
	let nextId = 1;
	const call = (method: string, params: object = {}) =>
		new Promise<InspectorReply>((resolve, reject) => {
			const id = nextId++;
			const timer = setTimeout(
				() => reject(new Error(`${child.name}: ${method} timed out`)),
				30_000
			);
			replies.set(id, (reply) => {
				clearTimeout(timer);
				if (reply.error) reject(new Error(`${child.name}: ${method}: ${reply.error.message}`));
				else resolve(reply);
			});
			socket.send(JSON.stringify({ id, method, params }));
		});
	try {
		await new Promise<void>((resolve, reject) => {
			socket.once('open', () => resolve());
			socket.once('error', reject);
		});
		await call('HeapProfiler.collectGarbage');
		const reply = await call('Runtime.evaluate', {
			expression: 'JSON.stringify(process.memoryUsage())',
			returnByValue: true
		});
		return JSON.parse(String(reply.result?.result?.value)) as LiveMemory;
	} finally {
		socket.close();
	}
}

interface InspectorReply {
	id?: number;
	error?: { message: string };
	result?: { result?: { value?: unknown } };
}

// per bench process: two benches at once (e.g. the smoke test beside a manual run) must not
// rebuild each other's server under their feet
const OURS_BUNDLE = join(BENCH_DIR, 'build', `sync-server-${process.pid}.mjs`);

export function removeOursBundle(): void {
	rmSync(OURS_BUNDLE, { force: true });
	rmSync(`${OURS_BUNDLE}.map`, { force: true });
}

/**
 * Bundles the sync-server from source, as `npm run build:sync` does: this checkout's, or that of
 * `source` (`--ours-source`, another checkout). The bundle lives here and keeps its packages
 * external, so every revision runs on this checkout's node_modules.
 */
export async function buildOurs(source = '.'): Promise<void> {
	mkdirSync(dirname(OURS_BUNDLE), { recursive: true });
	await build({
		entryPoints: [join(source, 'sync-server/main.ts')],
		bundle: true,
		platform: 'node',
		target: 'node24',
		format: 'esm',
		packages: 'external',
		sourcemap: true,
		outfile: OURS_BUNDLE,
		logLevel: 'error'
	});
}

/**
 * The V8 flags ours runs with in production: those of `npm run start:sync` (the package.json of
 * this checkout, or of `source`), so the bench measures the server as it is shipped. Why these
 * flags: docs/performance.md, "Why it is built this way".
 */
export function shippedNodeFlags(source = '.'): string[] {
	const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as {
		scripts: Record<string, string>;
	};
	const words = manifest.scripts['start:sync']?.split(/\s+/) ?? [];
	return words.filter((word) => word.startsWith('--') && word !== '--enable-source-maps');
}

export interface OursOptions {
	mongoUri: string;
	allowedOrigins?: string[];
	env?: Record<string, string>;
	/** The `pair` topology's second process: its own database, seeded as the first. */
	secondMongoUri?: string;
	/** Directory for a --cpu-prof profile (written when the process exits). */
	profileDir?: string;
	port?: number;
	/** Node/V8 flags (default: shippedNodeFlags()). */
	nodeFlags?: string[];
	/** The node binary (default: the bench's own, `process.execPath`). */
	node?: string;
	/** The checkout ours comes from (`--ours-source`; default: this one). */
	source?: string;
}

/** One of several processes sharing documents through Redis (bench/topology.ts). */
export interface SharedProcess {
	redisUrl: string;
	/** Key prefix in Redis, one per run. */
	prefix: string;
	/** This process among those sharing (SYNC_PROCESS_ID, Hocuspocus's identifier). */
	processId: string;
	/** hocuspocus-sqlite: the one SQLite file every process of the run stores into. */
	sqliteFile?: string;
}

export async function startServer(
	name: ServerName,
	core: number | null,
	ours?: OursOptions,
	/** Node/V8 flags for a peer (`--peer-node-flags`; none by default: as its own bin runs). */
	peerNodeFlags: string[] = [],
	shared?: SharedProcess
): Promise<RunningServer> {
	const port = ours?.port ?? (await freePort());
	let child: Child;
	let readyPath = '/';
	let protocol: WireProtocol['kind'] = 'y-websocket';
	let scratchDir: string | null = null;
	const removeScratch = () => {
		if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
	};
	switch (name) {
		case 'ours': {
			if (!ours) throw new Error('ours needs a database');
			const source = ours.source ?? '.';
			const flags = ours.nodeFlags ?? shippedNodeFlags(source);
			// profiled from source (tsx) so that frames name the real files, not the bundle
			const args = ours.profileDir
				? [
						INSPECT,
						...flags,
						'--cpu-prof',
						'--cpu-prof-dir',
						ours.profileDir,
						'--import',
						'tsx',
						join(source, 'sync-server/main.ts')
					]
				: [INSPECT, ...flags, '--enable-source-maps', OURS_BUNDLE];
			child = spawnChild({
				name,
				command: ours.node ?? process.execPath,
				args,
				core,
				env: {
					NODE_ENV: 'production',
					SYNC_HOST: '127.0.0.1',
					SYNC_PORT: String(port),
					MONGODB_URI: ours.mongoUri,
					SYNC_SECRET: BENCH_SECRET,
					ALLOWED_ORIGINS: (ours.allowedOrigins ?? [BENCH_ORIGIN]).join(','),
					// per-update info lines would make the bench measure logging
					LOG_LEVEL: 'warn',
					// the relay journal (a folder per scratch database, removed by the graceful stop)
					SYNC_JOURNAL_DIR: join(tmpdir(), 'dispatch-bench-journal'),
					...(shared
						? {
								REDIS_URL: shared.redisUrl,
								REDIS_PREFIX: shared.prefix,
								SYNC_PROCESS_ID: shared.processId
							}
						: {}),
					...ours.env
				}
			});
			readyPath = '/healthz';
			break;
		}
		case 'ywss':
		case 'ywss-leveldb': {
			const require = createRequire(import.meta.url);
			const bin = join(
				dirname(require.resolve('@y/websocket-server/package.json')),
				'src/server.js'
			);
			// The same server storing every update in LevelDB as it arrives (its own YPERSISTENCE
			// option, y-leveldb): a peer that persists, without auth, policy or validation.
			if (name === 'ywss-leveldb') scratchDir = mkdtempSync(join(tmpdir(), 'dispatch-bench-ldb-'));
			child = spawnChild({
				name,
				command: process.execPath,
				args: [INSPECT, ...peerNodeFlags, bin],
				core,
				env: {
					HOST: '127.0.0.1',
					PORT: String(port),
					...(scratchDir ? { YPERSISTENCE: scratchDir } : {})
				}
			});
			break;
		}
		case 'hocuspocus':
		case 'hocuspocus-sqlite': {
			// With its SQLite extension (a scratch file, removed at stop): a second peer that
			// persists, storing each document whole, debounced, as the extension ships.
			let sqliteFile: string | null = null;
			if (name === 'hocuspocus-sqlite') {
				if (shared?.sqliteFile) sqliteFile = shared.sqliteFile;
				else {
					scratchDir = mkdtempSync(join(tmpdir(), 'dispatch-bench-sqlite-'));
					sqliteFile = join(scratchDir, 'hocuspocus.sqlite');
				}
			}
			child = spawnChild({
				name,
				command: process.execPath,
				args: [INSPECT, ...peerNodeFlags, 'bench/peers/hocuspocus-server.mjs'],
				core,
				env: {
					PORT: String(port),
					...(sqliteFile ? { SQLITE_DATABASE: sqliteFile } : {}),
					...(shared
						? {
								REDIS_URL: shared.redisUrl,
								REDIS_PREFIX: shared.prefix,
								HOCUSPOCUS_ID: shared.processId
							}
						: {})
				}
			});
			protocol = 'hocuspocus';
			break;
		}
	}
	const httpUrl = `http://127.0.0.1:${port}`;
	try {
		await waitForHttp(httpUrl + readyPath, child);
	} catch (error) {
		await child.stop(2_000);
		removeScratch();
		throw error;
	}
	return {
		name,
		child,
		pid: child.pid,
		httpUrl,
		wsUrl: `ws://127.0.0.1:${port}`,
		protocol,
		liveMemory: () => liveMemoryOf(child),
		stop: () => child.stop(30_000).finally(removeScratch)
	};
}
