// `npm run bench:compare -- --before REV [--after REV]`: an interleaved before/after check of the
// sync-server. Both revisions are checked out into temporary git worktrees; then this checkout's
// bench (`bench/main.ts`, one repetition a run) runs against each in turn, `--rounds` times, the
// pair's order alternating (A B, B A, A B, …) so that a drift of the machine's speed does not
// always favour the same revision. Each run bundles its revision's sync-server with
// `--ours-source` and runs it on this checkout's node_modules, with that revision's `start:sync`
// flags; every run has its own scratch FerretDB on 127.0.0.1. The report is, per revision, the
// median and the range over its runs of the key figures, and after/before of the medians.
// Everything is bounded: each run by its own watchdog and a timeout here, the whole by --budget.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
	parseCommandLine,
	parseDuration,
	parsePoints,
	UsageError,
	type LoadPoint
} from './options.ts';
import type { PointSummary, ServerRow } from './report.ts';
import { BENCH_DIR } from './servers.ts';
import { median } from './stats.ts';

const USAGE = `usage: npm run bench:compare -- --before REV [flags]
  --before REV            the revision measured as "before" (required)
  --after REV             the revision measured as "after" (default HEAD)
  --rounds 3              runs of each revision (at least 2), interleaved
  --points 200x40         the load point (<clients>x<docs>), one
  --warmup 5s --duration 20s
  --no-reference          run ours alone (default: ywss in every run too, for ours/ywss)
  --budget 30m            stop everything after this long
  --out DIR               where the runs' JSON reports and the summary go
                          (default: test-results/bench/compare-<time>/)`;

interface CompareOptions {
	before: string;
	after: string;
	rounds: number;
	point: LoadPoint;
	warmupMs: number;
	durationMs: number;
	reference: boolean;
	budgetMs: number;
	out: string;
}

function parseCompareOptions(argv: string[]): CompareOptions | 'help' {
	const { values } = parseArgs({
		args: argv,
		strict: true,
		options: {
			before: { type: 'string' },
			after: { type: 'string' },
			rounds: { type: 'string' },
			points: { type: 'string' },
			warmup: { type: 'string' },
			duration: { type: 'string' },
			'no-reference': { type: 'boolean' },
			budget: { type: 'string' },
			out: { type: 'string' },
			help: { type: 'boolean', short: 'h' }
		}
	});
	if (values.help) return 'help';
	if (!values.before) throw new UsageError('--before REV is required');
	const points = parsePoints(values.points ?? '200x40');
	if (points.length !== 1) throw new UsageError('--points: one load point');
	const rounds = Number(values.rounds ?? '3');
	if (!Number.isInteger(rounds) || rounds < 2) {
		throw new UsageError(`--rounds: expected an integer ≥ 2, got "${values.rounds}"`);
	}
	const stamp = new Date().toISOString().replace(/[:.]/g, '-');
	return {
		before: values.before,
		after: values.after ?? 'HEAD',
		rounds,
		point: points[0]!,
		warmupMs: parseDuration(values.warmup ?? '5s', '--warmup'),
		durationMs: parseDuration(values.duration ?? '20s', '--duration'),
		reference: values['no-reference'] !== true,
		budgetMs: parseDuration(values.budget ?? '30m', '--budget'),
		out: resolve(values.out ?? join(BENCH_DIR, `compare-${stamp}`))
	};
}

interface Revision {
	label: 'before' | 'after';
	rev: string;
	commit: string;
	subject: string;
	dir: string;
}

/** The figures compared, read from ours' row (and ywss's, for the ratio) of one run's report. */
const FIGURES = [
	{ key: 'p50', title: 'fan-out p50 ms', digits: 2 },
	{ key: 'p95', title: 'fan-out p95 ms', digits: 1 },
	{ key: 'p99', title: 'fan-out p99 ms', digits: 1 },
	{ key: 'cpu', title: 'CPU µs/update', digits: 0 },
	{ key: 'cpuRatio', title: 'CPU ours/ywss', digits: 2 },
	{ key: 'db', title: 'FerretDB CPU µs/update', digits: 0 },
	{ key: 'durable', title: 'accept → durable p99 ms', digits: 1 },
	{ key: 'storm', title: 'storm s', digits: 2 },
	{ key: 'idle', title: 'idle KB/conn', digits: 1 },
	{ key: 'sent', title: 'updates/s sent', digits: 1 }
] as const;
type FigureKey = (typeof FIGURES)[number]['key'];

interface RunRecord {
	round: number;
	label: Revision['label'];
	commit: string;
	startedAt: string;
	loadavgStart: number;
	report: string;
	figures: Partial<Record<FigureKey, number>>;
	ok: boolean;
	note: string;
}

function git(args: string[], cwd = '.'): string {
	return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

function figuresOf(summary: PointSummary): Partial<Record<FigureKey, number>> {
	const ours = summary.rows.find((row) => row.server === 'ours');
	const ywss = summary.rows.find((row) => row.server === 'ywss');
	if (!ours || ours.reps === 0) return {};
	const nullable = (value: number | null) => (value === null ? undefined : value);
	return {
		p50: ours.p50Ms,
		p95: ours.p95Ms,
		p99: ours.p99Ms,
		cpu: ours.cpuUsPerUpdate,
		cpuRatio: ywss && ywss.reps > 0 ? ours.cpuUsPerUpdate / ywss.cpuUsPerUpdate : undefined,
		db: nullable(ours.dbCpuUsPerUpdate),
		durable: nullable(ours.persistP99Ms),
		storm: ours.stormS,
		idle: ours.idleKbPerConnection,
		sent: ours.updatesPerSecond
	};
}

/** Runs `bench/main.ts` as its npm script does; SIGTERM (then SIGKILL) to its group on timeout. */
function runBench(args: string[], timeoutMs: number, logFile: string): Promise<number | null> {
	return new Promise((done) => {
		const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...args], {
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true
		});
		let output = '';
		let server = '';
		const keep = (chunk: Buffer) => {
			output += chunk.toString();
			for (const line of chunk.toString().split('\n')) {
				server = /^-- \d+x\d+ rep \d+\/\d+: (\S+)/.exec(line)?.[1] ?? server;
				if (/^ {4}(storm|FAILED)/.test(line)) console.log(`  ${server}: ${line.trim()}`);
			}
		};
		child.stdout.on('data', keep);
		child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
		const signal = (name: NodeJS.Signals) => {
			try {
				process.kill(-child.pid!, name);
			} catch {
				/* already gone */
			}
		};
		current = () => signal('SIGTERM');
		const term = setTimeout(() => signal('SIGTERM'), timeoutMs);
		const kill = setTimeout(() => signal('SIGKILL'), timeoutMs + 45_000);
		child.on('exit', (code) => {
			clearTimeout(term);
			clearTimeout(kill);
			current = null;
			writeFileSync(logFile, output);
			done(code);
		});
	});
}

/** Stops the run in flight (on a signal or when the budget is spent). */
let current: (() => void) | null = null;

function format(value: number | undefined, digits: number): string {
	return value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

interface FigureStats {
	median: number;
	min: number;
	max: number;
	n: number;
}

function statsOf(values: number[]): FigureStats | null {
	const finite = values.filter((v) => Number.isFinite(v));
	if (finite.length === 0) return null;
	return {
		median: median(finite),
		min: Math.min(...finite),
		max: Math.max(...finite),
		n: finite.length
	};
}

function pad(text: string, width: number, right = false): string {
	return right ? text.padStart(width) : text.padEnd(width);
}

function summarize(records: RunRecord[]): {
	lines: string[];
	table: Array<Record<string, unknown>>;
} {
	const lines: string[] = [];
	const table: Array<Record<string, unknown>> = [];
	const header = [
		pad('figure', 24),
		pad('before: median (range)', 26, true),
		pad('after: median (range)', 26, true),
		pad('after/before', 13, true),
		'  ranges'
	].join('');
	lines.push(header, '-'.repeat(header.length + 10));
	for (const figure of FIGURES) {
		const pick = (label: Revision['label']) =>
			statsOf(
				records.filter((r) => r.ok && r.label === label).map((r) => r.figures[figure.key] ?? NaN)
			);
		const before = pick('before');
		const after = pick('after');
		if (!before && !after) continue;
		const cell = (s: FigureStats | null) =>
			s
				? `${format(s.median, figure.digits)} (${format(s.min, figure.digits)}–${format(s.max, figure.digits)})`
				: 'n/a';
		const ratio = before && after ? after.median / before.median : NaN;
		// "sent" is better when higher, every other figure when lower
		const higherIsBetter = figure.key === 'sent';
		let verdict = 'n/a';
		if (before && after) {
			const overlap = after.min <= before.max && before.min <= after.max;
			const worse = higherIsBetter ? after.max < before.min : after.min > before.max;
			const better = higherIsBetter ? after.min > before.max : after.max < before.min;
			verdict = overlap ? 'overlap' : worse ? 'after worse, apart' : better ? 'after better' : '';
		}
		lines.push(
			[
				pad(figure.title, 24),
				pad(cell(before), 26, true),
				pad(cell(after), 26, true),
				pad(Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a', 13, true),
				`  ${verdict}`
			].join('')
		);
		table.push({ figure: figure.title, before, after, ratio, verdict });
	}
	return { lines, table };
}

async function main(): Promise<number> {
	const parsed = parseCommandLine(
		parseCompareOptions,
		process.argv.slice(2),
		'bench:compare',
		USAGE
	);
	if ('status' in parsed) return parsed.status;
	const { options } = parsed;
	const scratch = mkdtempSync(join(tmpdir(), 'dispatch-bench-compare-'));
	const revisions: Revision[] = [];
	const cleanUp = () => {
		current?.();
		for (const revision of revisions) {
			try {
				git(['worktree', 'remove', '--force', revision.dir]);
			} catch {
				/* removed already, or never added */
			}
		}
		rmSync(scratch, { recursive: true, force: true });
		try {
			git(['worktree', 'prune']);
		} catch {
			/* nothing to prune */
		}
	};
	for (const name of ['SIGINT', 'SIGTERM'] as const) {
		process.once(name, () => {
			console.error(`bench:compare: ${name}: stopping`);
			cleanUp();
			process.exit(130);
		});
	}
	const startedAt = Date.now();
	let outOfTime = false;
	const budget = setTimeout(() => {
		console.error(`bench:compare: the budget of ${options.budgetMs / 1000} s is spent; stopping`);
		outOfTime = true;
		current?.();
	}, options.budgetMs);
	try {
		for (const [label, rev] of [
			['before', options.before],
			['after', options.after]
		] as const) {
			const commit = git(['rev-parse', '--verify', `${rev}^{commit}`]);
			const dir = join(scratch, label);
			git(['worktree', 'add', '--detach', '--quiet', dir, commit]);
			revisions.push({
				label,
				rev,
				commit,
				subject: git(['log', '-1', '--format=%h %s', commit]).slice(0, 100),
				dir
			});
		}
		mkdirSync(options.out, { recursive: true });
		const harness = git(['rev-parse', '--short', 'HEAD']);
		const dirty = git(['status', '--porcelain', '--', 'bench']) !== '' ? ' (bench/ modified)' : '';
		const { clients, docs } = options.point;
		const servers = options.reference ? 'ours,ywss' : 'ours';
		const benchArgs = [
			'--points',
			`${clients}x${docs}`,
			'--warmup',
			`${options.warmupMs}ms`,
			'--duration',
			`${options.durationMs}ms`,
			'--reps',
			'1',
			'--servers',
			servers,
			'--lifecycle-orders',
			'0',
			'--no-pwa'
		];
		console.log(
			`Interleaved before/after · harness ${harness}${dirty} · ${clients}x${docs}, warm-up ` +
				`${options.warmupMs / 1000} s, window ${options.durationMs / 1000} s, ${options.rounds} ` +
				`rounds · servers ${servers} · load average ${loadavg()
					.map((l) => l.toFixed(2))
					.join(' ')}`
		);
		for (const revision of revisions) {
			console.log(`${revision.label}: ${revision.rev} = ${revision.subject}`);
		}
		console.log(`each run: npm run bench -- ${benchArgs.join(' ')} --ours-source <worktree>`);
		// a run is one storm, the window and the servers' starts and stops: bounded generously
		const perRunMs =
			4 * (options.warmupMs + options.durationMs + 3_000) + 30_000 + clients * 30 + 120_000;
		const records: RunRecord[] = [];
		for (let round = 1; round <= options.rounds && !outOfTime; round++) {
			const order = round % 2 === 1 ? revisions : [...revisions].reverse();
			for (const revision of order) {
				if (outOfTime) break;
				const report = join(options.out, `round${round}-${revision.label}.json`);
				const load = loadavg()[0]!;
				const runStarted = new Date().toISOString();
				console.log(
					`-- round ${round}/${options.rounds}: ${revision.label} (${revision.commit.slice(0, 7)}), load average ${load.toFixed(2)}`
				);
				const code = await runBench(
					[...benchArgs, '--ours-source', revision.dir, '--out', report],
					perRunMs,
					report.replace(/\.json$/, '.log')
				);
				let figures: Partial<Record<FigureKey, number>> = {};
				let note = code === 0 ? '' : `bench exited with ${code}`;
				try {
					const parsed = JSON.parse(readFileSync(report, 'utf8')) as {
						summaries: PointSummary[];
					};
					figures = parsed.summaries[0] ? figuresOf(parsed.summaries[0]) : {};
					const rows: ServerRow[] = parsed.summaries[0]?.rows ?? [];
					const policy = rows.find((r) => r.server === 'ours')?.policyCloses ?? 0;
					if (policy > 0) note += ` ${policy} policy closes`;
				} catch {
					note += ' (no report)';
				}
				const ok = code === 0 && figures.cpu !== undefined;
				records.push({
					round,
					label: revision.label,
					commit: revision.commit,
					startedAt: runStarted,
					loadavgStart: load,
					report,
					figures,
					ok,
					note: note.trim()
				});
				if (!ok)
					console.log(`  run failed: ${note.trim()} (log: ${report.replace(/\.json$/, '.log')})`);
			}
		}
		const { lines, table } = summarize(records);
		console.log('');
		console.log(
			`runs: ${records.filter((r) => r.ok && r.label === 'before').length} before, ` +
				`${records.filter((r) => r.ok && r.label === 'after').length} after (of ${options.rounds} each); ` +
				`${Math.round((Date.now() - startedAt) / 1000)} s`
		);
		for (const line of lines) console.log(line);
		console.log(
			'ranges: "overlap" = the two revisions\' ranges overlap (no difference beyond the run-to-run spread)'
		);
		console.log('');
		console.log(
			'per run (round, revision, load average at start: p50 / p95 ms, CPU µs/update, ours/ywss CPU):'
		);
		for (const r of records) {
			const f = r.figures;
			console.log(
				`  ${r.round} ${pad(r.label, 6)} ${r.loadavgStart.toFixed(2).padStart(5)}: ` +
					`${format(f.p50, 2)} / ${format(f.p95, 1)} ms, ${format(f.cpu, 0)} µs, ${format(f.cpuRatio, 2)}×` +
					`${r.ok ? '' : ` FAILED ${r.note}`}`
			);
		}
		const summaryFile = join(options.out, 'summary.json');
		writeFileSync(
			summaryFile,
			JSON.stringify(
				{
					startedAt: new Date(startedAt),
					finishedAt: new Date(),
					harness,
					options,
					revisions: revisions.map(({ label, rev, commit, subject }) => ({
						label,
						rev,
						commit,
						subject
					})),
					benchArgs,
					table,
					records
				},
				null,
				1
			)
		);
		console.log(`summary: ${summaryFile}`);
		const failed = records.filter((r) => !r.ok).length;
		return failed > 0 || outOfTime ? 1 : 0;
	} finally {
		clearTimeout(budget);
		cleanUp();
	}
}

main().then(
	(code) => process.exit(code),
	(error: unknown) => {
		console.error('bench:compare failed:', error);
		process.exit(1);
	}
);
