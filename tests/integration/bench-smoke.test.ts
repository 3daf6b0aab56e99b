// The benchmark harness must not rot: run `npm run bench:smoke` (tiny load, all five servers,
// real FerretDB, real sockets; then ours and Hocuspocus as two processes over a real Redis,
// behind a real nginx) and check it produced a complete table with deliveries, that its
// slots moved orders through their lifecycle, and that ours refused nothing of it (the workload
// is legal under the order rules). No timing assertions: only that every value exists and
// messages went through.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DropSample } from '../../bench/load/generator.ts';
import type { PointSummary } from '../../bench/report.ts';

/**
 * A bench script as its npm script runs it (without npm in between so that a timeout reaches the
 * bench itself): SIGTERM makes it stop its servers and database; SIGKILL follows if it must.
 */
function runBench(
	script: string,
	args: string[],
	timeoutMs: number
): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const signal = (name: NodeJS.Signals) => {
			try {
				process.kill(-child.pid!, name);
			} catch {
				/* gone */
			}
		};
		const term = setTimeout(() => signal('SIGTERM'), timeoutMs);
		const kill = setTimeout(() => signal('SIGKILL'), timeoutMs + 15_000);
		child.on('exit', (code) => {
			clearTimeout(term);
			clearTimeout(kill);
			resolve({ code, stdout, stderr });
		});
	});
}

const OUT = `test-results/bench/smoke-test-${process.pid}.json`;
const LOGS = 'test-results/bench/logs';

interface Report {
	summaries: PointSummary[];
	extras: {
		lifecycle: {
			storage: { ratioMedian: number };
			coldLoadMs: { p99: number };
			coldSyncMs: { p99: number };
		} | null;
		lifecycleError: string | null;
		pwa: { shop: { ok: boolean; gzipBytes?: number } } | null;
		pwaNote: string | null;
	} | null;
	runs: RunRecord[];
}

interface RunRecord {
	server: string;
	label: string;
	load: {
		window: { dropSamples: DropSample[]; switches: { total: number; exhausted: number } };
	};
}

/** The drop samples of one row's runs, for a failure message. */
function dropSamplesOf(runs: RunRecord[], label: string): string {
	return JSON.stringify(
		runs.filter((run) => run.label === label).map((run) => run.load.window.dropSamples)
	);
}

const TOPOLOGY_OUT = `test-results/bench/smoke-topology-test-${process.pid}.json`;

interface TopologyReport {
	summaries: PointSummary[];
	runs: RunRecord[];
}

afterAll(() => {
	rmSync(OUT, { force: true });
	rmSync(TOPOLOGY_OUT, { force: true });
});

describe('bench:smoke', () => {
	it(
		'measures ours, @y/websocket-server (bare and with LevelDB) and Hocuspocus (bare and with SQLite) with the same workload',
		{ timeout: 150_000 },
		async () => {
			// the PWA part needs a built web app; without one the harness prints n/a and says why
			const pwa = existsSync('build/index.js') ? [] : ['--no-pwa'];
			const started = Date.now();
			const { code, stdout, stderr } = await runBench(
				'bench/main.ts',
				['--smoke', '--out', OUT, ...pwa],
				120_000
			);
			expect(code, `${stdout}\n${stderr}`).toBe(0);

			expect(stdout).toContain('== 20 clients × 4 docs');
			expect(stdout).toContain('4 writers × 2.5 updates/s = 10 updates/s offered');
			for (const server of [
				'ours',
				'ywss',
				'ywss-leveldb',
				'hocuspocus',
				'hocuspocus-sqlite',
				'ours/ywss',
				'ours/ywss-leveldb',
				'ours/hocuspocus',
				'ours/hocuspocus-sqlite'
			]) {
				expect(stdout).toMatch(new RegExp(`^${server} +\\d`, 'm'));
			}

			// the LevelDB peer really persisted: ywss says so when YPERSISTENCE reached it
			const logOf = (server: string) => {
				const logs = readdirSync(LOGS)
					.filter((file) => file.endsWith(`-${server}-20x4-rep1.log`))
					.map((file) => join(LOGS, file))
					.filter((path) => statSync(path).mtimeMs >= started);
				expect(logs, server).toHaveLength(1);
				return readFileSync(logs[0]!, 'utf8');
			};
			expect(logOf('ywss-leveldb')).toMatch(/Persisting documents to "/);
			// the SQLite peer really stored documents: at its stop it counts the rows of its file
			// (read after its last debounced stores ran), which the bench then removes
			const sqliteLog = logOf('hocuspocus-sqlite');
			const sqliteFile = /storing documents in SQLite at "([^"]+)"/.exec(sqliteLog)?.[1];
			expect(sqliteFile, sqliteLog).toBeDefined();
			const stored = /hocuspocus-sqlite stored (\d+) documents \((\d+) bytes\)/.exec(sqliteLog);
			expect(stored, sqliteLog).not.toBeNull();
			expect(Number(stored![1])).toBeGreaterThan(0);
			expect(Number(stored![2])).toBeGreaterThan(0);
			expect(existsSync(sqliteFile!)).toBe(false);

			const report = JSON.parse(readFileSync(OUT, 'utf8')) as Report;
			expect(report.summaries).toHaveLength(1);
			const [summary] = report.summaries;
			expect(summary!.rows.map((row) => row.server)).toEqual([
				'ours',
				'ywss',
				'ywss-leveldb',
				'hocuspocus',
				'hocuspocus-sqlite'
			]);
			for (const row of summary!.rows) {
				expect(row.failedReps, row.server).toBe(0);
				expect(row.sent, row.server).toBeGreaterThan(0);
				expect(row.delivered, row.server).toBeGreaterThan(0);
				// every event reaches every watcher that was synced to its order when it was sent
				expect(row.drops, dropSamplesOf(report.runs, row.label)).toBe(0);
				for (const value of [row.stormS, row.p50Ms, row.p95Ms, row.p99Ms, row.cpuUsPerUpdate]) {
					expect(Number.isFinite(value) && value >= 0, `${row.server}: ${value}`).toBe(true);
				}
				expect(Number.isFinite(row.rssKbPerConnection), row.server).toBe(true);
				expect(row.p50Ms).toBeLessThanOrEqual(row.p99Ms);
				expect(Number.isFinite(row.loadGenEldP99Ms), row.server).toBe(true);
				// a kernel counter (Linux): never negative, since it only grows during the storm
				expect(row.synDrops, row.server).toBeGreaterThanOrEqual(0);
				expect(row.updatesPerSecond, row.server).toBeGreaterThan(0);
				expect(row.receiversPerEvent, row.server).toBeGreaterThan(0);
				expect(row.receiversPerEvent, row.server).toBeLessThanOrEqual(4);
				// the generator's own check: every event it sent was its order's next step
				expect(row.outOfTurn, row.server).toBe(0);
			}
			const ours = summary!.rows[0]!;
			// the workload is legal: ours closed no socket for a refused write (1008) or session (44xx)
			expect(ours.policyCloses).toBe(0);
			expect(stdout).toMatch(/^policy closes \(1008, 44xx\).*: ours 0 \/ 0,/m);
			// every server's slots delivered orders and moved on to their next ones, within their queues
			expect(report.runs.map((run) => run.server).sort()).toEqual(
				['hocuspocus', 'hocuspocus-sqlite', 'ours', 'ywss', 'ywss-leveldb'].sort()
			);
			for (const run of report.runs) {
				expect(run.load.window.switches.total, run.server).toBeGreaterThan(0);
				expect(run.load.window.switches.exhausted, run.server).toBe(0);
			}
			expect(ours.persistP99Ms).not.toBeNull();
			expect(ours.dbCpuUsPerUpdate).not.toBeNull();
			expect(summary!.ratios.map((ratio) => ratio.peer)).toEqual([
				'ywss',
				'ywss-leveldb',
				'hocuspocus',
				'hocuspocus-sqlite'
			]);
			for (const ratio of summary!.ratios) {
				for (const value of Object.values(ratio.values)) expect(Number.isFinite(value)).toBe(true);
			}
			// one repetition: its own ratios are the medians' ratios
			expect(summary!.perRepetition.map((r) => [r.peer, r.rep])).toEqual([
				['ywss', 1],
				['ywss-leveldb', 1],
				['hocuspocus', 1],
				['hocuspocus-sqlite', 1]
			]);
			for (const [i, rep] of summary!.perRepetition.entries()) {
				expect(rep.values.cpuUsPerUpdate).toBeCloseTo(summary!.ratios[i]!.values.cpuUsPerUpdate);
			}
			expect(stdout).toMatch(/^ours\/ywss per repetition: storm [\d.]+×, p50 [\d.]+×/m);
			// the targets are checked against the peers that persist, the in-memory ones are reference
			const targets = /^targets: (.*)$/m.exec(stdout)?.[1] ?? '';
			for (const peer of ['ywss-leveldb', 'hocuspocus-sqlite']) {
				expect(targets).toContain(`CPU per update ours/${peer} ≤ 1.0`);
			}
			expect(targets).not.toMatch(/ours\/(ywss|hocuspocus) ≤/);

			expect(report.extras?.lifecycleError ?? null).toBeNull();
			const lifecycle = report.extras!.lifecycle!;
			expect(lifecycle.storage.ratioMedian).toBeGreaterThan(0);
			expect(Number.isFinite(lifecycle.coldLoadMs.p99)).toBe(true);
			expect(Number.isFinite(lifecycle.coldSyncMs.p99)).toBe(true);
			if (pwa.length === 0) {
				expect(report.extras!.pwa?.shop.ok, report.extras!.pwaNote ?? '').toBe(true);
				expect(report.extras!.pwa!.shop.gzipBytes).toBeGreaterThan(0);
			}
		}
	);

	it(
		'runs ours and Hocuspocus as two processes sharing documents through Redis, behind nginx and split, and as a pair sharing nothing (bare ywss too)',
		{ timeout: 240_000 },
		async () => {
			const started = Date.now();
			const { code, stdout, stderr } = await runBench(
				'bench/main.ts',
				[
					'--smoke',
					'--no-pwa',
					'--lifecycle-orders',
					'0',
					'--servers',
					'ours,hocuspocus-sqlite,ywss',
					'--topology',
					'single,shared,split,pair',
					'--out',
					TOPOLOGY_OUT
				],
				210_000
			);
			expect(code, `${stdout}\n${stderr}`).toBe(0);
			const report = JSON.parse(readFileSync(TOPOLOGY_OUT, 'utf8')) as TopologyReport;
			const [summary] = report.summaries;
			const labels = [
				'ours',
				'ours@shared',
				'ours@split',
				'ours@pair',
				'hocuspocus-sqlite',
				'hocuspocus-sqlite@shared',
				'hocuspocus-sqlite@split',
				'hocuspocus-sqlite@pair',
				// no Redis option: alone and as a pair only
				'ywss',
				'ywss@pair'
			];
			expect(summary!.rows.map((row) => row.label)).toEqual(labels);
			for (const label of labels) expect(stdout).toMatch(new RegExp(`^${label} +\\d`, 'm'));
			for (const row of summary!.rows) {
				expect(row.failedReps, row.label).toBe(0);
				expect(row.sent, row.label).toBeGreaterThan(0);
				expect(row.delivered, row.label).toBeGreaterThan(0);
				expect(row.drops, dropSamplesOf(report.runs, row.label)).toBe(0);
				expect(row.outOfTurn, row.label).toBe(0);
				for (const value of [row.p50Ms, row.p95Ms, row.cpuUsPerUpdate]) {
					expect(Number.isFinite(value) && value >= 0, `${row.label}: ${value}`).toBe(true);
				}
				// the CPU of every process of the topology, read by process group, adds up to the column
				const parts = row.cpuPartsUsPerUpdate;
				const server = row.server;
				expect(Object.keys(parts), row.label).toEqual(
					row.topology === 'single'
						? [server]
						: row.topology === 'shared'
							? [`${server}-a`, `${server}-b`, 'redis-server', 'nginx']
							: row.topology === 'pair'
								? [`${server}-a`, `${server}-b`, 'nginx']
								: [`${server}-a`, `${server}-b`, 'redis-server']
				);
				const sum = Object.values(parts).reduce((a, b) => a + b, 0);
				expect(sum).toBeCloseTo(row.cpuUsPerUpdate, 3);
				// the threads besides the main ones (V8's compiler, GC helpers) are part of it
				expect(row.helperThreadsCpuUsPerUpdate, row.label).toBeGreaterThanOrEqual(0);
				expect(row.helperThreadsCpuUsPerUpdate, row.label).toBeLessThanOrEqual(row.cpuUsPerUpdate);
				// each sync process's event loop waited and was woken during the window
				expect(row.wakeupsPerUpdate, row.label).toBeGreaterThan(0);
			}
			const byLabel = new Map(summary!.rows.map((row) => [row.label, row]));
			// a legal workload on two processes: neither refused anything
			for (const label of ['ours', 'ours@shared', 'ours@split']) {
				expect(byLabel.get(label)!.policyCloses, label).toBe(0);
			}
			// split: each document's writer and watchers on different processes, so the updates
			// reached the watchers' process through Redis
			expect(byLabel.get('ours@split')!.replicaShare).toBeGreaterThan(0.5);
			expect(byLabel.get('ours')!.replicaShare).toBeNull();
			expect(summary!.scaleOut.map((d) => `${d.server}@${d.topology} over ${d.base}`)).toEqual([
				'ours@shared over single',
				'ours@shared over pair',
				'ours@split over single',
				'ours@pair over single',
				'hocuspocus-sqlite@shared over single',
				'hocuspocus-sqlite@shared over pair',
				'hocuspocus-sqlite@split over single',
				'hocuspocus-sqlite@pair over single',
				'ywss@pair over single'
			]);
			for (const delta of summary!.scaleOut) {
				expect(Number.isFinite(delta.p50AddedMs) && Number.isFinite(delta.cpuRatio)).toBe(true);
			}
			expect(stdout).toMatch(/^ours@shared over ours: fan-out p50 [+-][\d.]+ ms/m);
			expect(stdout).toMatch(/ours@shared CPU per update ≤ 1\.3× ours: (met|MISSED)/);
			expect(summary!.ratios.map((r) => `${r.ours}/${r.peer}`)).toEqual([
				'ours/hocuspocus-sqlite',
				'ours/ywss',
				'ours@shared/hocuspocus-sqlite@shared',
				'ours@split/hocuspocus-sqlite@split',
				'ours@pair/hocuspocus-sqlite@pair',
				'ours@pair/ywss@pair'
			]);

			const logOf = (label: string) => {
				const logs = readdirSync(LOGS)
					.filter((file) => file.endsWith(`-${label}-20x4-rep1.log`))
					.map((file) => join(LOGS, file))
					.filter((path) => statSync(path).mtimeMs >= started);
				expect(logs, label).toHaveLength(1);
				return readFileSync(logs[0]!, 'utf8');
			};
			// nginx ran the deployment's configuration (deploy/nginx/render.sh), hashing on the
			// document name over both processes of the run
			const oursShared = logOf('ours-shared');
			expect(oursShared).toMatch(/hash \$dispatch_doc consistent;/);
			const syncServers = /upstream dispatch_sync \{[^}]*\}/.exec(oursShared)?.[0] ?? '';
			expect(syncServers.match(/^\s*server 127\.0\.0\.1:\d+ /gm), oursShared).toHaveLength(2);
			// the pair: the same nginx over two processes that share nothing
			const oursPair = logOf('ours-pair');
			const pairServers = /upstream dispatch_sync \{[^}]*\}/.exec(oursPair)?.[0] ?? '';
			expect(pairServers.match(/^\s*server 127\.0\.0\.1:\d+ /gm), oursPair).toHaveLength(2);
			expect(byLabel.get('ours@pair')!.replicaShare, 'the pair shares nothing').toBe(0);
			// both Hocuspocus processes shared through Redis and stored into the one SQLite file
			const hocuspocusShared = logOf('hocuspocus-sqlite-shared');
			expect(
				hocuspocusShared.match(/sharing documents through Redis at 127\.0\.0\.1:\d+/g)
			).toHaveLength(2);
			const files = [...hocuspocusShared.matchAll(/storing documents in SQLite at "([^"]+)"/g)];
			expect(files).toHaveLength(2);
			expect(files[0]![1]).toBe(files[1]![1]);
			expect(hocuspocusShared).toMatch(/hocuspocus-sqlite stored [1-9]\d* documents/);
			expect(existsSync(files[0]![1]!)).toBe(false);
		}
	);

	it('bench:hot-path measures every phase of the per-update work, and refuses bad flags', async () => {
		const run = (args: string[]) => runBench('bench/hot-path.ts', args, 60_000);
		const { code, stdout, stderr } = await run([
			'--docs',
			'10',
			'--events',
			'12',
			'--rounds',
			'3',
			'--json'
		]);
		expect(code, stderr).toBe(0);
		const { result } = JSON.parse(stdout) as { result: Record<string, number> };
		expect(result.updates).toBe(90);
		for (const phase of ['decodeUs', 'validateUs', 'applyUs', 'viewUs', 'totalUs']) {
			expect(Number.isFinite(result[phase]) && result[phase]! > 0, phase).toBe(true);
		}
		const refused = await run(['--events', 'many']);
		expect(refused.code).toBe(2);
		expect(refused.stderr).toContain('--events');
	});

	it('heap-sampler.mjs writes a heap profile that bench:heap-summary reads', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'heap-sample-'));
		try {
			// a process that allocates for a while, sampled like a server under the bench
			const sampled = await new Promise<number | null>((resolve) => {
				const child = spawn(
					process.execPath,
					[
						'--import',
						'./bench/heap-sampler.mjs',
						'-e',
						'const keep = []; const t = setInterval(() => { keep.push({ at: Date.now(), list: new Array(64).fill(1) }); if (keep.length > 5000) keep.length = 0; }, 1); setTimeout(() => clearInterval(t), 1500);'
					],
					{
						stdio: 'ignore',
						env: {
							...process.env,
							HEAP_SAMPLE_DIR: dir,
							HEAP_SAMPLE_START_S: '0.2',
							HEAP_SAMPLE_S: '0.5',
							HEAP_SAMPLE_KEEP: 'promoted'
						}
					}
				);
				child.on('exit', resolve);
			});
			expect(sampled).toBe(0);
			const files = readdirSync(dir).filter((name) => name.endsWith('-promoted.heapprofile'));
			expect(files).toHaveLength(1);
			const { code, stdout, stderr } = await runBench(
				'bench/heap-summary.ts',
				[join(dir, files[0]!), '--top', '3'],
				30_000
			);
			expect(code, stderr).toBe(0);
			expect(stdout).toMatch(/MB sampled \(kept: promoted, 0\.5 s\)/);
			expect(stdout).toContain('by nearest frame of the server code:');
			expect((await runBench('bench/heap-summary.ts', [join(dir, 'none')], 30_000)).code).toBe(2);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it(
		'bench:compare runs two revisions from temporary worktrees in alternating order and removes them',
		{ timeout: 300_000 },
		async () => {
			const out = mkdtempSync(join(tmpdir(), 'bench-compare-'));
			const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
			const worktrees = () => execFileSync('git', ['worktree', 'list'], { encoding: 'utf8' });
			try {
				const { code, stdout, stderr } = await runBench(
					'bench/compare.ts',
					[
						...['--before', 'HEAD', '--after', 'HEAD', '--rounds', '2', '--points', '20x4'],
						...['--warmup', '500ms', '--duration', '1s', '--no-reference'],
						...['--budget', '4m', '--out', out]
					],
					240_000
				);
				expect(code, `${stdout}\n${stderr}`).toBe(0);
				expect(stdout).toMatch(/^CPU µs\/update +\d+ \(\d+–\d+\) +\d+ \(\d+–\d+\) +[\d.]+×/m);
				const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
					revisions: Array<{ label: string; commit: string }>;
					records: Array<{ label: string; ok: boolean; figures: Record<string, number> }>;
				};
				expect(summary.revisions.map((r) => [r.label, r.commit])).toEqual([
					['before', head],
					['after', head]
				]);
				// A B, then B A: neither side always runs first
				expect(summary.records.map((r) => r.label)).toEqual(['before', 'after', 'after', 'before']);
				for (const record of summary.records) {
					expect(record.ok).toBe(true);
					expect(record.figures.cpu).toBeGreaterThan(0);
					expect(record.figures.p50).toBeGreaterThan(0);
				}
				// each run built ours from its revision's worktree, not from this checkout
				const log = readFileSync(join(out, 'round1-before.log'), 'utf8');
				expect(log).toMatch(
					new RegExp(
						`ours is built from \\S+dispatch-bench-compare-\\S+/before \\(${head.slice(0, 7)}`
					)
				);
				expect(worktrees()).not.toContain('dispatch-bench-compare-');
			} finally {
				rmSync(out, { recursive: true, force: true });
			}
		}
	);
});
