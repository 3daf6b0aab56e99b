// `npm run bench` / `npm run bench:smoke`: ours against @y/websocket-server (bare and with
// LevelDB) and Hocuspocus with the same workload and client code, on 127.0.0.1, one server at a
// time; with --topology also as two processes sharing documents through Redis (bench/topology.ts). The workload (bench/load/generator.ts) is legal under the order rules: each document slot
// has one writer, its partner, moving an order through its steps, then the next order. See
// docs/performance.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '../tests/support/ports.ts';
import {
	openDatabase,
	startScratchFerret,
	stopAllScratchFerrets,
	type ScratchFerret
} from './database.ts';
import { measureLifecycle, type LifecycleResult } from './extras/lifecycle.ts';
import {
	discardBuild,
	measurePwa,
	snapshotBuild,
	startWebApp,
	type PwaResult
} from './extras/pwa.ts';
import { createPopulation } from './fixtures.ts';
import { NGINX } from './nginx.ts';
import {
	parseCommandLine,
	parseOptions,
	runsIn,
	targetLabel,
	USAGE,
	type BenchOptions
} from './options.ts';
import { killAllChildren, setUpPinning, type Child } from './processes.ts';
import { formatProfile } from './profile.ts';
import {
	formatExtras,
	formatPoint,
	summarizePoint,
	type PointSummary,
	type Target
} from './report.ts';
import { measuredRun, type RunResult } from './run.ts';
import {
	BENCH_DIR,
	BENCH_ORIGIN,
	buildOurs,
	removeOursBundle,
	shippedNodeFlags,
	startServer,
	type RunningServer
} from './servers.ts';

const log = (line: string) => console.log(line);

/** Every server in every topology it runs in, in the order of the flags. */
function targetsOf(options: BenchOptions): Target[] {
	return options.servers.flatMap((server) =>
		options.topologies
			.filter((topology) => runsIn(server, topology))
			.map((topology) => ({ server, topology }))
	);
}

/** Generous upper bound of the whole run, after which the watchdog kills everything. */
function budgetMs(options: BenchOptions): number {
	let total = 120_000;
	for (const point of options.points) {
		const storm = 30_000 + point.clients * 10;
		const run = storm + options.warmupMs + options.durationMs + options.graceMs + 30_000;
		total += run * options.reps * targetsOf(options).length;
	}
	return total * 2;
}

/** What a topology needs that is not installed (Debian's redis-server and nginx). */
function missingTools(options: BenchOptions): string[] {
	const needs = new Set<string>();
	for (const { topology } of targetsOf(options)) {
		if (topology === 'shared' || topology === 'split') needs.add('redis-server');
		if (topology !== 'single' && topology !== 'split') needs.add('nginx');
	}
	const found = (command: string) => {
		try {
			execFileSync(command === 'nginx' ? NGINX : command, ['-v'], { stdio: 'ignore' });
			return true;
		} catch {
			return false;
		}
	};
	return [...needs].filter((command) => !found(command));
}

function rotate<T>(items: readonly T[], by: number): T[] {
	const k = by % items.length;
	return [...items.slice(k), ...items.slice(0, k)];
}

async function measureExtras(
	options: BenchOptions,
	ferret: ScratchFerret,
	core: number | null
): Promise<{
	lifecycle: LifecycleResult | null;
	lifecycleError: string | null;
	pwa: PwaResult | null;
	pwaNote: string | null;
}> {
	const opened = await openDatabase(ferret.baseUri, 'bench_extras');
	let sync: RunningServer | null = null;
	let web: Child | null = null;
	let webCopy: string | null = null;
	let lifecycle: LifecycleResult | null = null;
	let lifecycleError: string | null =
		options.lifecycleOrders === 0 ? 'skipped (--lifecycle-orders 0)' : null;
	let pwa: PwaResult | null = null;
	let pwaNote: string | null = options.pwa ? null : 'skipped (--no-pwa)';
	try {
		const count = Math.max(1, options.lifecycleOrders);
		const population = await createPopulation(opened.database.collections, {
			docs: count,
			clients: 2 * count
		});
		const webPort = await freePort();
		const webUrl = `http://127.0.0.1:${webPort}`;
		sync = await startServer('ours', core, {
			mongoUri: opened.uri,
			allowedOrigins: [BENCH_ORIGIN, webUrl],
			// documents unload (and compact) soon after their last client leaves
			env: { ...options.oursEnv, SYNC_IDLE_UNLOAD_MS: '300' },
			nodeFlags: options.oursNodeFlags ?? undefined,
			node: options.oursNode ?? undefined,
			source: options.oursSource ?? undefined
		});
		if (options.lifecycleOrders > 0) {
			log(`-- ours: ${count} delivered orders (storage, cold load)`);
			lifecycle = await measureLifecycle({
				database: opened.database,
				server: sync,
				population,
				count,
				log
			}).catch((error: unknown) => {
				lifecycleError = String((error as Error).stack ?? error);
				return null;
			});
		}
		if (options.pwa) {
			log('-- PWA: shop first load, partner page offline reload (headless Chromium)');
			const snapshot = await snapshotBuild(options.smoke ? 20 : 120);
			if ('reason' in snapshot) {
				pwaNote = snapshot.reason;
			} else {
				webCopy = snapshot.dir;
				try {
					web = await startWebApp({
						dir: snapshot.dir,
						port: webPort,
						mongoUri: opened.uri,
						syncPort: Number(new URL(sync.httpUrl).port),
						core
					});
					pwa = await measurePwa({
						collections: opened.database.collections,
						webUrl,
						partnerId: population.partners[0]!.userId
					});
				} catch (error) {
					pwaNote = `failed: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`;
				}
			}
		}
	} finally {
		await web?.stop();
		if (webCopy) discardBuild(webCopy);
		await sync?.stop();
		await opened.database.db.dropDatabase().catch(() => undefined);
		await opened.database.close();
	}
	return { lifecycle, lifecycleError, pwa, pwaNote };
}

async function main(): Promise<number> {
	const parsed = parseCommandLine(parseOptions, process.argv.slice(2), 'bench', USAGE);
	if ('status' in parsed) return parsed.status;
	const { options } = parsed;
	const missing = missingTools(options);
	if (missing.length > 0) {
		console.error(
			`bench: --topology ${options.topologies.join(',')} needs ${missing.join(' and ')}: ` +
				'install them (bash scripts/setup.sh --system)'
		);
		return 2;
	}
	const targets = targetsOf(options);
	const startedAt = new Date();
	const pinning = setUpPinning(options.pin);
	const watchdog = setTimeout(() => {
		console.error(
			`bench: watchdog: still running after ${Math.round(budgetMs(options) / 1000)} s; killing everything`
		);
		killAllChildren();
		stopAllScratchFerrets();
		process.exit(3);
	}, budgetMs(options));
	const cleanUp = () => {
		killAllChildren();
		stopAllScratchFerrets();
		removeOursBundle();
	};
	process.once('exit', cleanUp);
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			console.error(`bench: ${signal}: stopping`);
			cleanUp();
			process.exit(130);
		});
	}

	log(
		`Dispatch sync benchmark${options.smoke ? ' (smoke)' : ''} · node ${process.version} · ${cpus().length} cores ` +
			`(${cpus()[0]?.model ?? 'unknown cpu'}) · load average ${loadavg()
				.map((l) => l.toFixed(2))
				.join(' ')}`
	);
	log(
		`pinning: ${pinning.note}${options.dbOnClientCore ? ' (FerretDB on the load generator core)' : ''} · servers: ${targets.map((t) => targetLabel(t.server, t.topology)).join(', ')} · ${options.writerRate} updates/s per writer (one per doc) · ` +
			`warm-up ${options.warmupMs / 1000} s, window ${options.durationMs / 1000} s, grace ${options.graceMs / 1000} s, ${options.reps} rep(s)`
	);
	const oursEnv = Object.entries(options.oursEnv);
	if (oursEnv.length > 0) log(`ours runs with ${oursEnv.map(([k, v]) => `${k}=${v}`).join(' ')}`);
	if (options.oursSource !== null) {
		if (!existsSync(join(options.oursSource, 'sync-server/main.ts'))) {
			console.error(`bench: --ours-source: no sync-server/main.ts in ${options.oursSource}`);
			return 2;
		}
		const head = execFileSync('git', ['-C', options.oursSource, 'rev-parse', '--short', 'HEAD'], {
			encoding: 'utf8'
		}).trim();
		log(`ours is built from ${options.oursSource} (${head})`);
	}
	const oursFlags = options.oursNodeFlags ?? shippedNodeFlags(options.oursSource ?? '.');
	if (options.oursNode !== null) {
		const version = execFileSync(options.oursNode, ['--version'], { encoding: 'utf8' }).trim();
		log(
			`ours runs on ${options.oursNode} (node ${version}), the load generator on ${process.version}`
		);
	}
	log(
		`node flags: ours ${oursFlags.join(' ') || '(none)'}` +
			`${options.oursNodeFlags === null ? ' (as npm run start:sync)' : ''}, ` +
			`peers ${options.peerNodeFlags.join(' ') || '(none)'}`
	);
	const needsOurs = options.servers.includes('ours');
	const runs: RunResult[] = [];
	const summaries: PointSummary[] = [];
	let extras: Awaited<ReturnType<typeof measureExtras>> | null = null;
	try {
		const ferretCore = options.dbOnClientCore ? pinning.clientCore : pinning.serverCore;
		if (needsOurs) await buildOurs(options.oursSource ?? '.');
		const ctx = { options, pinning, ferretCore, log };
		for (const point of options.points) {
			for (let rep = 1; rep <= options.reps; rep++) {
				// a different order each repetition, so drift in the machine's load hits every server
				for (const { server, topology } of rotate(targets, rep - 1)) {
					log(
						`-- ${point.clients}x${point.docs} rep ${rep}/${options.reps}: ${targetLabel(server, topology)}`
					);
					const result = await measuredRun(ctx, server, topology, point, rep);
					runs.push(result);
					if (!result.ok) log(`    FAILED: ${result.error}`);
					else {
						const { storm, window } = result.load!;
						const { switches } = window;
						log(
							`    storm ${(storm.ms / 1000).toFixed(2)} s (${storm.synced}/${storm.total}, ${storm.retries} retries), ` +
								`sent ${window.sent} (${window.updatesPerSecond.toFixed(1)}/s), delivered ${window.delivered}/${window.expected}, ` +
								`p50 ${window.latencyMs.p50.toFixed(2)} ms, p99 ${window.latencyMs.p99.toFixed(2)} ms, ` +
								`CPU ${result.measures!.cpuUsPerUpdate.toFixed(0)} µs/update, ` +
								`${switches.count} switches (p99 ${switches.p99Ms.toFixed(1)} ms), ` +
								`${window.policyCloses} policy closes`
						);
						if (switches.exhausted + switches.lagged + window.skipped + window.outOfTurn > 0) {
							log(
								`    note: ${switches.exhausted} clients ran out of orders (${result.ordersPerSlot} per slot), ` +
									`${switches.lagged} watchers caught up late, ${window.skipped} sends skipped (writer closed), ` +
									`${window.outOfTurn} events out of turn (not sent: a bench bug)`
							);
						}
					}
					for (const { process, summary } of result.profiles ?? []) {
						if (result.profiles!.length > 1) log(`    profile of ${process}:`);
						log(formatProfile(summary));
					}
				}
			}
			const summary = summarizePoint(point, targets, runs);
			summaries.push(summary);
			log('');
			log(formatPoint(summary, options));
			log('');
		}
		if (needsOurs && (options.lifecycleOrders > 0 || options.pwa)) {
			// (stopped by cleanUp with every other scratch FerretDB)
			const ferret = await startScratchFerret(ferretCore);
			extras = await measureExtras(options, ferret, pinning.serverCore);
			log('');
			log(formatExtras(extras.lifecycle, extras.lifecycleError, extras.pwa, extras.pwaNote));
		}
	} finally {
		clearTimeout(watchdog);
		cleanUp();
	}

	const out =
		options.out ??
		join(
			BENCH_DIR,
			`${options.smoke ? 'smoke' : 'bench'}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`
		);
	mkdirSync(dirname(out), { recursive: true });
	writeFileSync(
		out,
		JSON.stringify(
			{
				startedAt,
				finishedAt: new Date(),
				machine: {
					node: process.version,
					cpus: cpus().length,
					model: cpus()[0]?.model,
					loadavgEnd: loadavg()
				},
				pinning,
				options,
				summaries,
				extras,
				runs
			},
			null,
			1
		)
	);
	log(`JSON report: ${out}`);
	const failed = runs.filter((r) => !r.ok).length;
	if (failed > 0) log(`${failed} run(s) failed`);
	return failed > 0 ? 1 : 0;
}

main().then(
	(code) => process.exit(code),
	(error: unknown) => {
		console.error('bench failed:', error);
		killAllChildren();
		process.exit(1);
	}
);
