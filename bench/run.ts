// One measured run: one server in one topology, one load point, one repetition. Starts the
// server's processes (ours gets a fresh database with real users, sessions and orders; a shared
// topology adds Redis and nginx), runs the load, reads the CPU and RSS of every process of the
// topology from /proc around it, and stops everything again.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
	copyDatabase,
	databaseUri,
	openDatabase,
	startScratchFerret,
	type ScratchFerret
} from './database.ts';
import {
	createPopulation,
	identitiesFor,
	SEATS_PER_ADMIN,
	seedOrdersAtRest,
	slotDocName,
	type Population
} from './fixtures.ts';
import { ordersPerSlot, runLoad, type LoadResult } from './load/generator.ts';
import { protocolFor } from './load/protocol.ts';
import {
	histogramWindow,
	mergeSamples,
	readMetrics,
	total,
	waitQuiet,
	type HistogramWindow,
	type Samples
} from './metrics.ts';
import {
	targetLabel,
	type BenchOptions,
	type LoadPoint,
	type ServerName,
	type Topology
} from './options.ts';
import {
	cpuTimeMs,
	groupCpuTimeMs,
	groupHelperThreadsCpuMs,
	mainThreadWakeups,
	groupPids,
	settledRssBytes,
	sleep,
	type Pinning
} from './processes.ts';
import { newestProfile, summarizeProfile, type ProfileSummary } from './profile.ts';
import { orderDocName } from '../src/lib/order/schema.ts';
import { BENCH_DIR } from './servers.ts';
import { PROCESS_IDS, startTopology, type RunningTopology } from './topology.ts';

interface ServerMeasures {
	/**
	 * CPU (user + system) during the window, ms, of every process of the topology: the sync
	 * processes, and Redis and nginx where they run (not the database: `dbCpuUsPerUpdate`).
	 */
	cpuMs: number;
	cpuUsPerUpdate: number;
	/** The same per process of the topology (`ours`, or `ours-a`, `ours-b`, `redis-server`, `nginx`). */
	cpuPartsUsPerUpdate: Record<string, number>;
	/**
	 * Of `cpuUsPerUpdate`, what threads other than the processes' main threads spent: in a Node
	 * process V8's compiler and GC helpers and libuv's pool (each process runs its own).
	 */
	helperThreadsCpuUsPerUpdate: number;
	/**
	 * Times the server processes' main threads were woken from waiting (voluntary context
	 * switches) during the window, per update: one busy event loop handles several events per
	 * wake-up, and two processes sharing the load each handle fewer.
	 */
	wakeupsPerUpdate: number;
	/** Ours: FerretDB's CPU per update during the window (the database is part of our cost). */
	dbCpuUsPerUpdate: number | null;
	/** CPU of the server, and (ours) of FerretDB, from the storm's first connect to its last sync, ms. */
	stormCpuMs: number;
	stormDbCpuMs: number | null;
	rssBeforeBytes: number;
	rssConnectedBytes: number;
	rssPerConnectionBytes: number;
	/** RSS added per idle connection to already loaded documents (the idle wave). */
	rssPerIdleConnectionBytes: number;
	/**
	 * Live memory (V8 heap used + external, after a full GC) added per idle connection: what the
	 * table reports, since RSS after a burst moves with memory the allocator has yet to return.
	 */
	livePerIdleConnectionBytes: number;
	/** Ours: accept → durable, from the server's persist-latency histogram over the window. */
	persist: HistogramWindow | null;
	/**
	 * Ours on two processes: updates one process applied as another's (replicas), from the window
	 * and the half second after it, of any document: the orders' (each one the split topology
	 * delivers), and the feeds' that the projection of either process writes.
	 */
	replicaUpdates: number | null;
	/** Ours on two processes: entries in the shared log not in MongoDB yet, half a second after the window. */
	sharedLogBacklog: number | null;
}

export interface RunResult {
	server: ServerName;
	topology: Topology;
	/** `ours`, `ours@shared`, … (options.ts, `targetLabel`). */
	label: string;
	point: LoadPoint;
	rep: number;
	ok: boolean;
	error?: string;
	load?: LoadResult;
	measures?: ServerMeasures;
	/** Ours under --profile: one summary per sync process. */
	profiles?: Array<{ process: string; summary: ProfileSummary }>;
	/** Orders in each slot's queue (ours: seeded at rest before the run). */
	ordersPerSlot?: number;
}

export interface RunContext {
	options: BenchOptions;
	pinning: Pinning;
	/** The core FerretDB runs on (each measured run of ours starts a FerretDB of its own). */
	ferretCore: number | null;
	log(line: string): void;
}

let runCounter = 0;

/** Keeps what a server printed (the tail), for diagnosing a run afterwards. */
function saveServerLog(name: string, output: string): void {
	if (!output) return;
	const dir = join(BENCH_DIR, 'logs');
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, `${name}.log`), output);
}

/** A short id that is unique per run and valid in order ids ([a-z0-9]). */
function runTagFor(server: ServerName, topology: Topology, rep: number): string {
	runCounter++;
	return `r${runCounter}${server[0]}${topology[0]}${rep}`;
}

/** CPU time so far of each part of the topology (every process of its group), ms. */
function partsCpuMs(topology: RunningTopology): Record<string, number> {
	const cpu: Record<string, number> = {};
	for (const part of topology.parts) cpu[part.name] = groupCpuTimeMs(part.child.pid);
	return cpu;
}

/** CPU time so far of every thread of the topology's processes but their main threads, by id. */
function helperThreadsCpuMs(topology: RunningTopology): Map<number, number> {
	const byThread = new Map<number, number>();
	for (const part of topology.parts) {
		for (const [tid, ms] of groupHelperThreadsCpuMs(part.child.pid)) byThread.set(tid, ms);
	}
	return byThread;
}

/** How often the main threads of the topology's server processes have been woken so far. */
function serverWakeups(topology: RunningTopology): number {
	return topology.servers.reduce((sum, server) => sum + mainThreadWakeups(server.pid), 0);
}

/** What each thread spent between two readings (one that ended between them is not counted). */
function threadsCpuSinceMs(start: Map<number, number>, end: Map<number, number>): number {
	let sum = 0;
	for (const [tid, ms] of end) sum += Math.max(0, ms - (start.get(tid) ?? 0));
	return sum;
}

function sumOf(values: Record<string, number>): number {
	return Object.values(values).reduce((a, b) => a + b, 0);
}

/** Peers need no database: the same people, with cookies they ignore. */
function offlinePopulation(point: LoadPoint): Population {
	const partners = Array.from({ length: point.docs }, (_, i) => ({
		userId: `bp${i}`,
		name: `Partner ${i}`,
		role: 'partner' as const
	}));
	const admins = Array.from(
		{ length: Math.ceil((point.clients - point.docs) / SEATS_PER_ADMIN) },
		(_, i) => ({
			userId: `ba${i}`,
			name: `Admin ${i}`,
			role: 'admin' as const
		})
	);
	const seats = Array.from({ length: point.clients }, (_, j) => ({
		person: j < point.docs ? partners[j]! : admins[Math.floor((j - point.docs) / SEATS_PER_ADMIN)]!,
		cookie: 'dispatch_session=none'
	}));
	return { point, partners, customers: [], admins, seats };
}

export async function measuredRun(
	ctx: RunContext,
	server: ServerName,
	topology: Topology,
	point: LoadPoint,
	rep: number
): Promise<RunResult> {
	const { options, pinning } = ctx;
	const runTag = runTagFor(server, topology, rep);
	const label = targetLabel(server, topology);
	let running: RunningTopology | null = null;
	let opened: Awaited<ReturnType<typeof openDatabase>> | null = null;
	let secondDb: Awaited<ReturnType<typeof openDatabase>> | null = null;
	// A FerretDB of its own for every run: one that has served earlier runs (their databases
	// created and dropped) makes the next storm cost twice as much, on both sides (performance.md,
	// "Why it is built this way").
	let ferret: ScratchFerret | null = null;
	let profileDir: string | undefined;
	// every slot's queue, sized for the whole time writers may send, with spare (generator.ts)
	const queue = ordersPerSlot(
		options.writerRate,
		(options.warmupMs + options.durationMs + options.graceMs) / 1000
	);
	try {
		let population: Population;
		if (server === 'ours') {
			ferret = await startScratchFerret(ctx.ferretCore);
			opened = await openDatabase(ferret.baseUri, `bench_${runTag}`);
			population = await createPopulation(opened.database.collections, point);
			if (options.profile) {
				profileDir = join(
					BENCH_DIR,
					'profiles',
					`${label.replace('@', '-')}-${point.clients}x${point.docs}-rep${rep}`
				);
				mkdirSync(profileDir, { recursive: true });
			}
			// the orders are at rest, as after a restart: the storm loads each slot's first order
			// from MongoDB, every move to a slot's next order loads that one
			const seeding = performance.now();
			const seeded = await seedOrdersAtRest({
				collections: opened.database.collections,
				population,
				runTag,
				count: point.docs * queue
			});
			ctx.log(
				`    seeded ${point.docs} × ${queue} orders at rest in ${((performance.now() - seeding) / 1000).toFixed(1)} s`
			);
			// the pair's second process runs on a database of its own, seeded the same: two
			// deployments that share nothing (on one database each would take the other's log for
			// one a dead process left)
			if (topology === 'pair') {
				secondDb = await openDatabase(ferret.baseUri, `bench_${runTag}_b`);
				await copyDatabase(opened.database.db, secondDb.database.db);
			}
			running = await startTopology({
				server,
				topology,
				core: pinning.serverCore,
				ours: {
					mongoUri: databaseUri(ferret.baseUri, `bench_${runTag}`),
					secondMongoUri: secondDb?.uri,
					profileDir,
					env: options.oursEnv,
					nodeFlags: options.oursNodeFlags ?? undefined,
					node: options.oursNode ?? undefined,
					source: options.oursSource ?? undefined
				},
				peerNodeFlags: options.peerNodeFlags,
				runTag,
				atRest: seeded.map((orderId) => orderDocName(orderId))
			});
		} else {
			population = offlinePopulation(point);
			running = await startTopology({
				server,
				topology,
				core: pinning.serverCore,
				peerNodeFlags: options.peerNodeFlags,
				runTag
			});
		}
		await sleep(300);
		const deployment = running;
		const httpUrls = deployment.servers.map((s) => s.httpUrl);
		/**
		 * After a full GC in every sync process: the RSS of every process of the topology once
		 * settled, and the sync processes' live JS heap + external memory.
		 */
		const memory = async () => {
			const lives = await Promise.all(deployment.servers.map((s) => s.liveMemory()));
			const pids = deployment.parts.flatMap((part) => groupPids(part.child.pid));
			const rss = await Promise.all(pids.map((pid) => settledRssBytes(pid)));
			return {
				rss: rss.reduce((a, b) => a + b, 0),
				live: lives.reduce((sum, live) => sum + live.heapUsed + live.external, 0)
			};
		};
		const readAllMetrics = async () => mergeSamples(await Promise.all(httpUrls.map(readMetrics)));
		const rssBeforeBytes = (await memory()).rss;
		let rssConnectedBytes = NaN;
		let beforeWave = { rss: NaN, live: NaN };
		let rssPerIdleConnectionBytes = NaN;
		let livePerIdleConnectionBytes = NaN;
		let cpuStart: Record<string, number> = {};
		const cpuParts: Record<string, number> = {};
		let cpuMs = NaN;
		let helpersStart = new Map<number, number>();
		let helpersMs = NaN;
		let wakeupsStart = 0;
		let wakeups = NaN;
		let stormCpuMs = NaN;
		let stormDbCpuMs: number | null = null;
		let dbCpuStart = 0;
		let dbCpuMs: number | null = null;
		let metricsBefore: Samples | null = null;
		let persist: HistogramWindow | null = null;
		let replicaUpdates: number | null = null;
		let backlogAtEnd: number | null = null;
		const ferretPid = ferret?.pid ?? null;

		const load = await runLoad(
			{
				clients: identitiesFor(population, runTag),
				protocol: protocolFor(running.protocol),
				wsBase: deployment.wsBaseOf,
				docNameOf: (slot, k) => slotDocName(runTag, point.docs, slot, k),
				ordersPerSlot: queue,
				writerRate: options.writerRate,
				warmupMs: options.warmupMs,
				durationMs: options.durationMs,
				graceMs: options.graceMs,
				runTag,
				idleWave: true
			},
			{
				beforeStorm() {
					stormCpuMs = sumOf(partsCpuMs(deployment));
					if (ferretPid !== null) stormDbCpuMs = cpuTimeMs(ferretPid);
				},
				stormEnd() {
					stormCpuMs = sumOf(partsCpuMs(deployment)) - stormCpuMs;
					if (ferretPid !== null && stormDbCpuMs !== null)
						stormDbCpuMs = cpuTimeMs(ferretPid) - stormDbCpuMs;
				},
				async afterStorm() {
					// ours projects every loaded order into the feeds: let that settle first
					if (server === 'ours') {
						await Promise.all(httpUrls.map((url) => waitQuiet(url, 'sync_updates_total')));
					}
					rssConnectedBytes = (await memory()).rss;
				},
				async windowStart() {
					if (server === 'ours') metricsBefore = await readAllMetrics();
					cpuStart = partsCpuMs(deployment);
					helpersStart = helperThreadsCpuMs(deployment);
					wakeupsStart = serverWakeups(deployment);
					if (ferretPid !== null) dbCpuStart = cpuTimeMs(ferretPid);
				},
				async beforeIdleWave() {
					beforeWave = await memory();
				},
				async afterIdleWave(connected) {
					const after = await memory();
					rssPerIdleConnectionBytes = (after.rss - beforeWave.rss) / Math.max(1, connected);
					livePerIdleConnectionBytes = (after.live - beforeWave.live) / Math.max(1, connected);
				},
				async windowEnd() {
					const cpuEnd = partsCpuMs(deployment);
					for (const name of Object.keys(cpuEnd)) {
						cpuParts[name] = cpuEnd[name]! - (cpuStart[name] ?? NaN);
					}
					cpuMs = sumOf(cpuParts);
					helpersMs = threadsCpuSinceMs(helpersStart, helperThreadsCpuMs(deployment));
					wakeups = serverWakeups(deployment) - wakeupsStart;
					if (ferretPid !== null) dbCpuMs = cpuTimeMs(ferretPid) - dbCpuStart;
					if (metricsBefore) {
						// the window's last updates are still in their batching window: wait them out
						await sleep(500);
						const each = await Promise.all(httpUrls.map(readMetrics));
						const after = mergeSamples(each);
						persist = histogramWindow(metricsBefore, after, 'sync_persist_latency_seconds', 0.1);
						if (deployment.servers.length > 1) {
							const metric = 'sync_replica_updates_total';
							replicaUpdates = total(after, metric) - total(metricsBefore, metric);
							// every process reads the one stream's length: the same figure each
							backlogAtEnd = Math.max(...each.map((m) => total(m, 'sync_shared_log_backlog')));
						}
					}
				}
			}
		);
		const updates = Math.max(1, load.window.sent);
		const measures: ServerMeasures = {
			cpuMs,
			cpuUsPerUpdate: (cpuMs * 1000) / updates,
			helperThreadsCpuUsPerUpdate: (helpersMs * 1000) / updates,
			wakeupsPerUpdate: wakeups / updates,
			cpuPartsUsPerUpdate: Object.fromEntries(
				Object.entries(cpuParts).map(([name, ms]) => [name, (ms * 1000) / updates])
			),
			dbCpuUsPerUpdate: dbCpuMs === null ? null : (dbCpuMs * 1000) / updates,
			stormCpuMs,
			stormDbCpuMs,
			rssBeforeBytes,
			rssConnectedBytes,
			rssPerConnectionBytes: (rssConnectedBytes - rssBeforeBytes) / Math.max(1, load.storm.synced),
			rssPerIdleConnectionBytes,
			livePerIdleConnectionBytes,
			persist,
			replicaUpdates,
			sharedLogBacklog: backlogAtEnd
		};
		await deployment.stop();
		running = null;
		saveServerLog(
			`${runTag}-${label.replace('@', '-')}-${point.clients}x${point.docs}-rep${rep}`,
			deployment.output()
		);
		for (const [i, sync] of deployment.servers.entries()) {
			const exit = await sync.child.exited;
			if (exit !== 0 && exit !== null) {
				ctx.log(
					`    ${deployment.parts[i]!.name} exited with ${exit}:\n${sync.child.output().slice(-2000)}`
				);
			}
		}
		const profiles: NonNullable<RunResult['profiles']> = [];
		if (profileDir) {
			const dirs =
				deployment.servers.length > 1
					? PROCESS_IDS.map((id) => ({ process: `${server}-${id}`, dir: join(profileDir!, id) }))
					: [{ process: server, dir: profileDir }];
			for (const { process, dir } of dirs) {
				const file = newestProfile(dir);
				if (file) profiles.push({ process, summary: summarizeProfile(file) });
			}
		}
		return {
			server,
			topology,
			label,
			point,
			rep,
			ok: true,
			load,
			measures,
			profiles,
			ordersPerSlot: queue
		};
	} catch (error) {
		if (running) saveServerLog(`${runTag}-${label.replace('@', '-')}-failed`, running.output());
		const output = running?.output().slice(-3000) ?? '';
		return {
			server,
			topology,
			label,
			point,
			rep,
			ok: false,
			error: `${(error as Error).stack ?? String(error)}${output ? `\n--- server output ---\n${output}` : ''}`
		};
	} finally {
		await running?.stop();
		for (const db of [opened, secondDb]) {
			if (!db) continue;
			await db.database.db.dropDatabase().catch(() => undefined);
			await db.database.close().catch(() => undefined);
		}
		ferret?.stop();
	}
}
