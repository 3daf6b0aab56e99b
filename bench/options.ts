// Command-line flags of `npm run bench`, their defaults, and the smoke preset.
import { parseArgs } from 'node:util';

const SERVER_NAMES = ['ours', 'ywss', 'ywss-leveldb', 'hocuspocus', 'hocuspocus-sqlite'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

/**
 * How the servers under test are deployed (bench/topology.ts):
 * - `single`: one process, clients connect to it directly;
 * - `proxied`: the same process behind nginx;
 * - `shared`: two processes sharing documents through Redis, behind nginx with a consistent hash
 *   on the document name (the normal case: a document's sockets on one process);
 * - `split`: the same two processes and Redis, clients connecting directly, each document's
 *   writer on one process and its watchers on the other (the worst case: every delivery crosses
 *   Redis).
 * - `pair`: two processes sharing nothing (no Redis, a database each, seeded alike) behind the
 *   same nginx: not a deployment, but what a second process costs on this machine without the
 *   Redis hop, for the shared topology to be read against.
 */
const TOPOLOGIES = ['single', 'proxied', 'shared', 'split', 'pair'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/** Servers that can run as two processes sharing documents through Redis. */
const SCALE_OUT_SERVERS: readonly ServerName[] = ['ours', 'hocuspocus', 'hocuspocus-sqlite'];

/**
 * Whether `server` runs in `topology`: every server alone, behind nginx and as a pair sharing
 * nothing; the y-websocket-server peers have no Redis option for the others.
 */
export function runsIn(server: ServerName, topology: Topology): boolean {
	return (
		topology === 'single' ||
		topology === 'proxied' ||
		topology === 'pair' ||
		SCALE_OUT_SERVERS.includes(server)
	);
}

/** A server in a topology: `ours`, `ours@shared`, `hocuspocus-sqlite@split`. */
export function targetLabel(server: ServerName, topology: Topology): string {
	return topology === 'single' ? server : `${server}@${topology}`;
}

export interface LoadPoint {
	clients: number;
	docs: number;
}

export interface BenchOptions {
	points: LoadPoint[];
	servers: ServerName[];
	/** Each server runs in each of these (those it supports: `runsIn`). */
	topologies: Topology[];
	/**
	 * Updates per second per writer (Poisson arrivals). Every document slot has one writer, its
	 * assigned partner, so the offered load is `docs × writerRate` updates per second.
	 */
	writerRate: number;
	warmupMs: number;
	durationMs: number;
	/** How long after the window deliveries may still arrive before they count as dropped. */
	graceMs: number;
	reps: number;
	/** Ours only: lifecycle orders for cold load and stored bytes (0 skips that part). */
	lifecycleOrders: number;
	/** Ours only: JS weight of the shop and the partner page's offline reload (needs build/). */
	pwa: boolean;
	/** Run ours under `node --cpu-prof` and summarise the top frames. */
	profile: boolean;
	/** Pin servers to core 0 and the load generator to core 1 (when there are two cores). */
	pin: boolean;
	/** Put FerretDB on the load generator's core instead of the server's (profiling ours alone). */
	dbOnClientCore: boolean;
	smoke: boolean;
	/** Where the JSON report goes (default: test-results/bench/<mode>-<time>.json). */
	out: string | null;
	/** Extra environment for ours (e.g. SYNC_RELAY=accepted), from --ours-env. */
	oursEnv: Record<string, string>;
	/** Node/V8 flags for ours instead of those `npm run start:sync` uses (null: those). */
	oursNodeFlags: string[] | null;
	/** Node/V8 flags for the peers (none by default). */
	peerNodeFlags: string[];
	/** The `node` binary ours runs on (null: the bench's own, `process.execPath`). */
	oursNode: string | null;
	/**
	 * The checkout whose sync-server is bundled and run as ours (null: this one), e.g. a worktree
	 * of another revision: `npm run bench:compare` runs the same harness against two of them.
	 */
	oursSource: string | null;
}

export class UsageError extends Error {}

/**
 * Parses a bench command's flags: the options, or the exit status once `--help` printed the usage
 * (0) or a bad flag printed why with the usage (2). Anything else is thrown.
 */
export function parseCommandLine<T>(
	parse: (argv: string[]) => T | 'help',
	argv: string[],
	command: string,
	usage: string
): { options: T } | { status: number } {
	try {
		const parsed = parse(argv);
		if (parsed === 'help') {
			console.log(usage);
			return { status: 0 };
		}
		return { options: parsed };
	} catch (error) {
		if (
			error instanceof UsageError ||
			(error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
		) {
			console.error(`${command}: ${(error as Error).message}\n${usage}`);
			return { status: 2 };
		}
		throw error;
	}
}

const USAGE = `usage: npm run bench -- [flags]
  --points "1000x200,3000x600"  load points as <clients>x<docs> (default: both)
  --clients N --docs N          a single load point instead of --points
  --writer-rate 2.5/s           updates per second per writer, one writer (the partner) per
                                document slot: docs × rate updates/s in all (Poisson)
  --warmup 5s --duration 20s    warm-up, then the measured window
  --grace 3s                    time after the window for late deliveries
  --reps 3                      repetitions; every cell is the median
  --servers ours,ywss,ywss-leveldb,hocuspocus,hocuspocus-sqlite
  --topology single,shared,split  deployments to run each server in (default single): single
                                (one process), proxied (one behind nginx), shared (two processes
                                + Redis behind nginx, hash on the document), split (two + Redis,
                                each document's writer and watchers on different processes), pair
                                (two processes sharing nothing behind nginx: a reference, not a
                                deployment)
  --lifecycle-orders 50         ours: delivered orders for cold load and storage (0 = skip)
  --no-pwa                      skip the PWA measurements (they need a built web app)
  --profile                     run ours under --cpu-prof and print its top frames
  --no-pin                      do not pin processes to cores
  --db-on-client-core           FerretDB on the load generator's core (default: with the server)
  --smoke                       tiny load (20 clients / 4 docs, 2 s window, 1 rep)
  --out FILE                    JSON report path
  --ours-env "K=V,K2=V2"        extra environment for ours (e.g. SYNC_RELAY=accepted)
  --ours-node-flags="..."       Node flags for ours instead of npm run start:sync's (= alone: none)
  --peer-node-flags="..."       Node flags for the peers (default none): =--single-threaded-gc
  --ours-node /usr/bin/node     the node binary ours runs on (default: the one running the bench)
  --ours-source DIR             the checkout whose sync-server/main.ts ours is built from, with
                                that checkout's start:sync flags (default: this one)`;

export function parseDuration(text: string, flag: string): number {
	const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
	if (!match)
		throw new UsageError(`${flag}: expected a duration like 500ms, 5s or 5, got "${text}"`);
	const value = Number(match[1]);
	const unit = match[2] ?? 's';
	return Math.round(value * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000));
}

/** The default writer rate: 500 updates/s at 1,000 × 200, 1,500/s at 3,000 × 600. */
const DEFAULT_WRITER_RATE = 2.5;

function parseRate(text: string): number {
	const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(text.trim());
	const rate = match ? Number(match[1]) : NaN;
	if (!(rate > 0) || rate > 20) {
		throw new UsageError(
			`--writer-rate: expected updates per second per writer (0 < rate ≤ 20), got "${text}"`
		);
	}
	return rate;
}

function positiveInt(text: string, flag: string, min = 1): number {
	const value = Number(text);
	if (!Number.isInteger(value) || value < min) {
		throw new UsageError(`${flag}: expected an integer ≥ ${min}, got "${text}"`);
	}
	return value;
}

export function parsePoints(text: string): LoadPoint[] {
	const points = text.split(',').map((part) => {
		const match = /^\s*(\d+)x(\d+)\s*$/.exec(part);
		if (!match) throw new UsageError(`--points: expected <clients>x<docs>, got "${part}"`);
		const point = { clients: Number(match[1]), docs: Number(match[2]) };
		if (point.docs < 1 || point.clients < 2 * point.docs) {
			throw new UsageError(`--points: ${part} needs at least one doc and two clients per doc`);
		}
		return point;
	});
	if (points.length === 0) throw new UsageError('--points: no load point given');
	return points;
}

function parseServers(text: string): ServerName[] {
	const names = text.split(',').map((name) => name.trim());
	for (const name of names) {
		if (!(SERVER_NAMES as readonly string[]).includes(name)) {
			throw new UsageError(`--servers: unknown server "${name}" (use ${SERVER_NAMES.join(', ')})`);
		}
	}
	return [...new Set(names)] as ServerName[];
}

function parseTopologies(text: string): Topology[] {
	const names = text.split(',').map((name) => name.trim());
	for (const name of names) {
		if (!(TOPOLOGIES as readonly string[]).includes(name)) {
			throw new UsageError(`--topology: unknown topology "${name}" (use ${TOPOLOGIES.join(', ')})`);
		}
	}
	return [...new Set(names)] as Topology[];
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
	const { values } = parseArgs({
		args: argv,
		strict: true,
		options: {
			points: { type: 'string' },
			clients: { type: 'string' },
			docs: { type: 'string' },
			rate: { type: 'string' },
			'writer-rate': { type: 'string' },
			warmup: { type: 'string' },
			duration: { type: 'string' },
			grace: { type: 'string' },
			reps: { type: 'string' },
			servers: { type: 'string' },
			topology: { type: 'string' },
			'lifecycle-orders': { type: 'string' },
			'no-pwa': { type: 'boolean' },
			profile: { type: 'boolean' },
			'no-pin': { type: 'boolean' },
			'db-on-client-core': { type: 'boolean' },
			smoke: { type: 'boolean' },
			out: { type: 'string' },
			'ours-env': { type: 'string' },
			'ours-node-flags': { type: 'string' },
			'peer-node-flags': { type: 'string' },
			'ours-node': { type: 'string' },
			'ours-source': { type: 'string' },
			help: { type: 'boolean', short: 'h' }
		}
	});
	if (values.help) return 'help';
	if (values.rate !== undefined) {
		// a rate per client does not fit the workload: only each document's partner writes (every
		// event must be the order's next step), so the load is set per writer
		throw new UsageError(
			`--rate: the load is set per writer, one per document slot; use --writer-rate ` +
				`(default ${DEFAULT_WRITER_RATE}/s, i.e. 0.5/s per client at 5 clients per document)`
		);
	}
	const smoke = values.smoke === true;
	let points: LoadPoint[];
	if (values.points !== undefined) {
		if (values.clients !== undefined || values.docs !== undefined) {
			throw new UsageError('give either --points or --clients/--docs, not both');
		}
		points = parsePoints(values.points);
	} else if (values.clients !== undefined || values.docs !== undefined) {
		const clients = positiveInt(values.clients ?? (smoke ? '20' : '1000'), '--clients', 2);
		const docs = positiveInt(values.docs ?? (smoke ? '4' : '200'), '--docs');
		points = parsePoints(`${clients}x${docs}`);
	} else {
		points = parsePoints(smoke ? '20x4' : '1000x200,3000x600');
	}
	return {
		points,
		servers: parseServers(values.servers ?? SERVER_NAMES.join(',')),
		topologies: parseTopologies(values.topology ?? 'single'),
		writerRate: parseRate(values['writer-rate'] ?? String(DEFAULT_WRITER_RATE)),
		warmupMs: parseDuration(values.warmup ?? (smoke ? '1s' : '5s'), '--warmup'),
		durationMs: Math.max(
			500,
			parseDuration(values.duration ?? (smoke ? '2s' : '20s'), '--duration')
		),
		graceMs: parseDuration(values.grace ?? (smoke ? '1.5s' : '3s'), '--grace'),
		reps: positiveInt(values.reps ?? (smoke ? '1' : '3'), '--reps'),
		lifecycleOrders: positiveInt(
			values['lifecycle-orders'] ?? (smoke ? '4' : '50'),
			'--lifecycle-orders',
			0
		),
		pwa: values['no-pwa'] !== true,
		profile: values.profile === true,
		pin: values['no-pin'] !== true,
		dbOnClientCore: values['db-on-client-core'] === true,
		smoke,
		out: values.out ?? null,
		oursEnv: parseEnvList(values['ours-env'] ?? ''),
		oursNodeFlags:
			values['ours-node-flags'] === undefined
				? null
				: parseNodeFlags(values['ours-node-flags'], '--ours-node-flags'),
		peerNodeFlags: parseNodeFlags(values['peer-node-flags'] ?? '', '--peer-node-flags'),
		oursNode: values['ours-node'] ?? null,
		oursSource: values['ours-source'] ?? null
	};
}

function parseNodeFlags(text: string, flag: string): string[] {
	const words = text.split(/\s+/).filter((word) => word !== '');
	for (const word of words) {
		if (!/^--[a-z0-9][a-z0-9-]*(=\S+)?$/.test(word)) {
			throw new UsageError(`${flag}: "${word}" is not a Node flag like --single-threaded-gc`);
		}
	}
	return words;
}

function parseEnvList(text: string): Record<string, string> {
	const env: Record<string, string> = {};
	for (const pair of text.split(',').filter((p) => p.trim() !== '')) {
		const match = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
		if (!match) throw new UsageError(`--ours-env: "${pair}" is not KEY=value`);
		env[match[1]!] = match[2]!.trim();
	}
	return env;
}

export { USAGE };
