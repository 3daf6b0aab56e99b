// One measured run: one server, one load point, one repetition. Starts the server (ours gets a
// fresh database with real users, sessions and orders), runs the load, reads the server's CPU and
// RSS from /proc around it, and stops everything again.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { databaseUri, openDatabase, startScratchFerret, type ScratchFerret } from './database.ts';
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
	readMetrics,
	waitQuiet,
	type HistogramWindow,
	type Samples
} from './metrics.ts';
import type { BenchOptions, LoadPoint, ServerName } from './options.ts';
import { cpuTimeMs, settledRssBytes, sleep, type Pinning } from './processes.ts';
import { newestProfile, summarizeProfile, type ProfileSummary } from './profile.ts';
import { BENCH_DIR, startServer, type RunningServer } from './servers.ts';

interface ServerMeasures {
	/** Server CPU (user + system) during the window, ms. */
	cpuMs: number;
	cpuUsPerUpdate: number;
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
}

export interface RunResult {
	server: ServerName;
	point: LoadPoint;
	rep: number;
	ok: boolean;
	error?: string;
	load?: LoadResult;
	measures?: ServerMeasures;
	profile?: ProfileSummary | null;
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
function runTagFor(server: ServerName, rep: number): string {
	runCounter++;
	return `r${runCounter}${server[0]}${rep}`;
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
	point: LoadPoint,
	rep: number
): Promise<RunResult> {
	const { options, pinning } = ctx;
	const runTag = runTagFor(server, rep);
	let running: RunningServer | null = null;
	let opened: Awaited<ReturnType<typeof openDatabase>> | null = null;
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
				profileDir = join(BENCH_DIR, 'profiles', `${point.clients}x${point.docs}-rep${rep}`);
				mkdirSync(profileDir, { recursive: true });
			}
			// the orders are at rest, as after a restart: the storm loads each slot's first order
			// from MongoDB, every move to a slot's next order loads that one
			const seeding = performance.now();
			await seedOrdersAtRest({
				collections: opened.database.collections,
				population,
				runTag,
				count: point.docs * queue
			});
			ctx.log(
				`    seeded ${point.docs} × ${queue} orders at rest in ${((performance.now() - seeding) / 1000).toFixed(1)} s`
			);
			running = await startServer('ours', pinning.serverCore, {
				mongoUri: databaseUri(ferret.baseUri, `bench_${runTag}`),
				profileDir,
				env: options.oursEnv,
				nodeFlags: options.oursNodeFlags ?? undefined,
				node: options.oursNode ?? undefined,
				source: options.oursSource ?? undefined
			});
		} else {
			population = offlinePopulation(point);
			running = await startServer(server, pinning.serverCore, undefined, options.peerNodeFlags);
		}
		await sleep(300);
		const pid = running.pid;
		const httpUrl = running.httpUrl;
		/** After a full GC: RSS once settled, and the live JS heap + external memory. */
		const memory = async () => {
			const live = await running!.liveMemory();
			return { rss: await settledRssBytes(pid), live: live.heapUsed + live.external };
		};
		const rssBeforeBytes = (await memory()).rss;
		let rssConnectedBytes = NaN;
		let beforeWave = { rss: NaN, live: NaN };
		let rssPerIdleConnectionBytes = NaN;
		let livePerIdleConnectionBytes = NaN;
		let cpuStart = 0;
		let cpuMs = NaN;
		let stormCpuMs = NaN;
		let stormDbCpuMs: number | null = null;
		let dbCpuStart = 0;
		let dbCpuMs: number | null = null;
		let metricsBefore: Samples | null = null;
		let persist: HistogramWindow | null = null;
		const ferretPid = ferret?.pid ?? null;

		const load = await runLoad(
			{
				clients: identitiesFor(population, runTag),
				protocol: protocolFor(running.protocol),
				wsBase: running.wsUrl,
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
					stormCpuMs = cpuTimeMs(pid);
					if (ferretPid !== null) stormDbCpuMs = cpuTimeMs(ferretPid);
				},
				stormEnd() {
					stormCpuMs = cpuTimeMs(pid) - stormCpuMs;
					if (ferretPid !== null && stormDbCpuMs !== null)
						stormDbCpuMs = cpuTimeMs(ferretPid) - stormDbCpuMs;
				},
				async afterStorm() {
					// ours projects every loaded order into the feeds: let that settle first
					if (server === 'ours') await waitQuiet(httpUrl, 'sync_updates_total');
					rssConnectedBytes = (await memory()).rss;
				},
				async windowStart() {
					if (server === 'ours') metricsBefore = await readMetrics(httpUrl);
					cpuStart = cpuTimeMs(pid);
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
					cpuMs = cpuTimeMs(pid) - cpuStart;
					if (ferretPid !== null) dbCpuMs = cpuTimeMs(ferretPid) - dbCpuStart;
					if (metricsBefore) {
						// the window's last updates are still in their batching window: wait them out
						await sleep(500);
						persist = histogramWindow(
							metricsBefore,
							await readMetrics(httpUrl),
							'sync_persist_latency_seconds',
							0.1
						);
					}
				}
			}
		);
		const updates = Math.max(1, load.window.sent);
		const measures: ServerMeasures = {
			cpuMs,
			cpuUsPerUpdate: (cpuMs * 1000) / updates,
			dbCpuUsPerUpdate: dbCpuMs === null ? null : (dbCpuMs * 1000) / updates,
			stormCpuMs,
			stormDbCpuMs,
			rssBeforeBytes,
			rssConnectedBytes,
			rssPerConnectionBytes: (rssConnectedBytes - rssBeforeBytes) / Math.max(1, load.storm.synced),
			rssPerIdleConnectionBytes,
			livePerIdleConnectionBytes,
			persist
		};
		await running.stop();
		const exit = await running.child.exited;
		saveServerLog(
			`${runTag}-${server}-${point.clients}x${point.docs}-rep${rep}`,
			running.child.output()
		);
		if (exit !== 0 && exit !== null) {
			ctx.log(`    ${server} exited with ${exit}:\n${running.child.output().slice(-2000)}`);
		}
		running = null;
		const profile = profileDir ? newestProfile(profileDir) : null;
		return {
			server,
			point,
			rep,
			ok: true,
			load,
			measures,
			profile: profile ? summarizeProfile(profile) : null,
			ordersPerSlot: queue
		};
	} catch (error) {
		if (running) saveServerLog(`${runTag}-${server}-failed`, running.child.output());
		const output = running?.child.output().slice(-3000) ?? '';
		return {
			server,
			point,
			rep,
			ok: false,
			error: `${(error as Error).stack ?? String(error)}${output ? `\n--- server output ---\n${output}` : ''}`
		};
	} finally {
		await running?.stop();
		if (opened) {
			await opened.database.db.dropDatabase().catch(() => undefined);
			await opened.database.close().catch(() => undefined);
		}
		ferret?.stop();
	}
}
