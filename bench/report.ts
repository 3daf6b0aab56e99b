// Turning runs into the printed tables (one per load point, a row per server and topology, ratios
// of ours to each peer in the same topology, what a topology adds to the single process, medians
// over repetitions) and the ours-only section.
import type { LifecycleResult } from './extras/lifecycle.ts';
import type { PwaResult } from './extras/pwa.ts';
import { targetLabel, type LoadPoint, type ServerName, type Topology } from './options.ts';
import type { RunResult } from './run.ts';
import { median } from './stats.ts';

/** A server in a topology, as measured. */
export interface Target {
	server: ServerName;
	topology: Topology;
}

export interface ServerRow {
	server: ServerName;
	topology: Topology;
	/** `ours`, `ours@shared`, … */
	label: string;
	reps: number;
	failedReps: number;
	stormS: number;
	/** Clients whose initial sync completed within the storm's time limit (median over reps). */
	synced: number;
	/** Connections the kernel dropped during the storm (accept queue full; median over reps). */
	synDrops: number;
	clients: number;
	p50Ms: number;
	p95Ms: number;
	p99Ms: number;
	cpuUsPerUpdate: number;
	rssKbPerConnection: number;
	idleKbPerConnection: number;
	drops: number;
	sent: number;
	/** Updates sent per second of the window (the offered rate, less what switches cost). */
	updatesPerSecond: number;
	delivered: number;
	closes: number;
	/** Sockets closed with 1008 or 4400–4499 during warm-up, window and grace: must be 0. */
	policyCloses: number;
	/** Events the generator's own check held back as not the next step (a bench bug): must be 0. */
	outOfTurn: number;
	/** Connections moved to their slot's next order in the window, and how long a move took. */
	switches: number;
	switchP50Ms: number;
	switchP99Ms: number;
	/** Receivers registered per event (at most clients per doc − 1). */
	receiversPerEvent: number;
	ordersDelivered: number;
	updateBytes: number;
	loadGenEldP99Ms: number;
	loadGenCpuPercent: number;
	/** Server CPU during the storm, s; ours also FerretDB's. */
	stormCpuS: number;
	stormDbCpuS: number | null;
	/** CPU per update of each process of the topology (medians; they need not add up exactly). */
	cpuPartsUsPerUpdate: Record<string, number>;
	/** Of the CPU per update, the threads other than the processes' main threads (run.ts). */
	helperThreadsCpuUsPerUpdate: number;
	/** The server processes' main threads woken from waiting, per update (run.ts). */
	wakeupsPerUpdate: number;
	/** Ours only. */
	dbCpuUsPerUpdate: number | null;
	persistP99Ms: number | null;
	persistWithin100ms: number | null;
	/**
	 * Ours on two processes: updates one process applied as another's (to any document: the
	 * orders' and the feeds' the projection writes) ÷ client updates sent.
	 */
	replicaShare: number | null;
	/** Ours on two processes: the shared log's entries not in MongoDB yet after the window. */
	sharedLogBacklog: number | null;
}

export interface PointSummary {
	point: LoadPoint;
	rows: ServerRow[];
	/** Ours to each peer in the same topology; `peer` and `ours` are row labels. */
	ratios: Array<{ ours: string; peer: string; values: Record<RatioKey, number> }>;
	/**
	 * The same ratios within each repetition (ours and the peer measured minutes apart, not a
	 * run apart): how far they spread shows how much of a ratio is the machine's drift.
	 */
	perRepetition: Array<{
		ours: string;
		peer: string;
		rep: number;
		values: Record<RatioKey, number>;
	}>;
	/** What each topology adds to the same server as one process (and behind nginx alone). */
	scaleOut: ScaleOutDelta[];
	targets: TargetCheck[];
}

/** The peers that store what they get: the targets compare ours with these. */
const PERSISTING_PEERS: readonly ServerName[] = ['ywss-leveldb', 'hocuspocus-sqlite'];

/** A server in a topology against the same server in a base topology (`single` or `proxied`). */
interface ScaleOutDelta {
	server: ServerName;
	topology: Topology;
	base: Topology;
	/** Fan-out latency added, ms (medians over repetitions, then the difference). */
	p50AddedMs: number;
	p95AddedMs: number;
	p99AddedMs: number;
	/** CPU per update of every process of the topology ÷ the base's. */
	cpuRatio: number;
	/** The same with the database's CPU on both sides (ours; null for peers). */
	cpuWithDbRatio: number | null;
	/** Within each repetition: p50 added, ms, and the CPU ratio. */
	perRepetition: Array<{ rep: number; p50AddedMs: number; cpuRatio: number }>;
}

const RATIO_KEYS = [
	'stormS',
	'p50Ms',
	'p95Ms',
	'p99Ms',
	'cpuUsPerUpdate',
	'rssKbPerConnection',
	'idleKbPerConnection'
] as const;
type RatioKey = (typeof RATIO_KEYS)[number];

interface TargetCheck {
	name: string;
	target: string;
	value: number;
	met: boolean | null;
}

const KB = 1024;

function rowFor(server: ServerName, topology: Topology, runs: RunResult[]): ServerRow {
	const ok = runs.filter((r) => r.ok && r.load && r.measures);
	const partNames = [...new Set(ok.flatMap((r) => Object.keys(r.measures!.cpuPartsUsPerUpdate)))];
	const pick = (f: (r: RunResult) => number) => median(ok.map(f));
	const nullable = (f: (r: RunResult) => number | null | undefined) => {
		const values = ok.map(f).filter((v): v is number => typeof v === 'number');
		return values.length > 0 ? median(values) : null;
	};
	return {
		server,
		topology,
		label: targetLabel(server, topology),
		reps: ok.length,
		failedReps: runs.length - ok.length,
		stormS: pick((r) => r.load!.storm.ms / 1000),
		synced: pick((r) => r.load!.storm.synced),
		synDrops: pick((r) => r.load!.storm.listenOverflows),
		clients: runs[0]?.point.clients ?? NaN,
		p50Ms: pick((r) => r.load!.window.latencyMs.p50),
		p95Ms: pick((r) => r.load!.window.latencyMs.p95),
		p99Ms: pick((r) => r.load!.window.latencyMs.p99),
		cpuUsPerUpdate: pick((r) => r.measures!.cpuUsPerUpdate),
		rssKbPerConnection: pick((r) => r.measures!.rssPerConnectionBytes / KB),
		idleKbPerConnection: pick((r) => r.measures!.livePerIdleConnectionBytes / KB),
		drops: pick((r) => r.load!.window.drops),
		sent: pick((r) => r.load!.window.sent),
		updatesPerSecond: pick((r) => r.load!.window.updatesPerSecond),
		delivered: pick((r) => r.load!.window.delivered),
		closes: pick((r) => Object.values(r.load!.window.closes).reduce((a, b) => a + b, 0)),
		// the worst repetition, not the median: one refused write is one too many
		policyCloses: ok.length > 0 ? Math.max(...ok.map((r) => r.load!.window.policyCloses)) : NaN,
		outOfTurn: ok.length > 0 ? Math.max(...ok.map((r) => r.load!.window.outOfTurn)) : NaN,
		switches: pick((r) => r.load!.window.switches.count),
		switchP50Ms: pick((r) => r.load!.window.switches.p50Ms),
		switchP99Ms: pick((r) => r.load!.window.switches.p99Ms),
		receiversPerEvent: pick((r) => r.load!.window.receiversPerEvent),
		ordersDelivered: pick((r) => r.load!.window.ordersDelivered),
		updateBytes: pick((r) => r.load!.window.updateBytes),
		loadGenEldP99Ms: pick((r) => r.load!.loadGenerator.eventLoopDelayMs.p99),
		loadGenCpuPercent: pick((r) => r.load!.loadGenerator.cpuPercent),
		stormCpuS: pick((r) => r.measures!.stormCpuMs / 1000),
		stormDbCpuS: nullable((r) => {
			const ms = r.measures!.stormDbCpuMs;
			return ms === null ? null : ms / 1000;
		}),
		cpuPartsUsPerUpdate: Object.fromEntries(
			partNames.map((name) => [name, pick((r) => r.measures!.cpuPartsUsPerUpdate[name] ?? NaN)])
		),
		helperThreadsCpuUsPerUpdate: pick((r) => r.measures!.helperThreadsCpuUsPerUpdate ?? NaN),
		wakeupsPerUpdate: pick((r) => r.measures!.wakeupsPerUpdate ?? NaN),
		dbCpuUsPerUpdate: nullable((r) => r.measures!.dbCpuUsPerUpdate),
		persistP99Ms: nullable((r) => r.measures!.persist?.p99Ms),
		persistWithin100ms: nullable((r) => r.measures!.persist?.within),
		sharedLogBacklog: nullable((r) => r.measures!.sharedLogBacklog),
		replicaShare: nullable((r) =>
			r.measures!.replicaUpdates === null || r.measures!.replicaUpdates === undefined
				? null
				: r.measures!.replicaUpdates / Math.max(1, r.load!.window.sent)
		)
	};
}

export function summarizePoint(
	point: LoadPoint,
	targetsRun: Target[],
	runs: RunResult[]
): PointSummary {
	const mine = runs.filter((r) => r.point.clients === point.clients && r.point.docs === point.docs);
	const runsOf = (t: Target, rep?: number) =>
		mine.filter(
			(r) =>
				r.server === t.server &&
				(r.topology ?? 'single') === t.topology &&
				(rep === undefined || r.rep === rep)
		);
	const rows = targetsRun.map((t) => rowFor(t.server, t.topology, runsOf(t)));
	const reps = [...new Set(mine.map((r) => r.rep))].sort((a, b) => a - b);
	const repRow = (t: Target, rep: number) => rowFor(t.server, t.topology, runsOf(t, rep));
	const ratios: PointSummary['ratios'] = [];
	const perRepetition: PointSummary['perRepetition'] = [];
	for (const ours of rows.filter((r) => r.server === 'ours')) {
		for (const peer of rows.filter((r) => r.server !== 'ours' && r.topology === ours.topology)) {
			ratios.push({ ours: ours.label, peer: peer.label, values: ratiosOf(ours, peer) });
			for (const rep of reps) {
				const oursRow = repRow(ours, rep);
				const peerRow = repRow(peer, rep);
				if (oursRow.reps === 0 || peerRow.reps === 0) continue;
				perRepetition.push({
					ours: ours.label,
					peer: peer.label,
					rep,
					values: ratiosOf(oursRow, peerRow)
				});
			}
		}
	}
	const scaleOut: ScaleOutDelta[] = [];
	for (const row of rows.filter((r) => r.topology !== 'single')) {
		const bases: Topology[] =
			row.topology === 'shared'
				? ['single', 'proxied', 'pair']
				: row.topology === 'pair'
					? ['single', 'proxied']
					: ['single'];
		for (const base of bases) {
			const baseRow = rows.find((r) => r.server === row.server && r.topology === base);
			if (!baseRow) continue;
			const withDb = (r: ServerRow) =>
				r.dbCpuUsPerUpdate === null ? NaN : r.cpuUsPerUpdate + r.dbCpuUsPerUpdate;
			scaleOut.push({
				server: row.server,
				topology: row.topology,
				base,
				p50AddedMs: row.p50Ms - baseRow.p50Ms,
				p95AddedMs: row.p95Ms - baseRow.p95Ms,
				p99AddedMs: row.p99Ms - baseRow.p99Ms,
				cpuRatio: row.cpuUsPerUpdate / baseRow.cpuUsPerUpdate,
				cpuWithDbRatio: row.dbCpuUsPerUpdate === null ? null : withDb(row) / withDb(baseRow),
				perRepetition: reps.flatMap((rep) => {
					const a = repRow(row, rep);
					const b = repRow(baseRow, rep);
					if (a.reps === 0 || b.reps === 0) return [];
					return [
						{ rep, p50AddedMs: a.p50Ms - b.p50Ms, cpuRatio: a.cpuUsPerUpdate / b.cpuUsPerUpdate }
					];
				})
			});
		}
	}
	const targets: TargetCheck[] = [];
	const check = (name: string, target: string, value: number, limit: number) =>
		targets.push({ name, target, value, met: Number.isFinite(value) ? value <= limit : null });
	// the targets are against the peers that persist; the in-memory ones are for reference
	for (const peer of PERSISTING_PEERS) {
		const vs = ratios.find((r) => r.ours === 'ours' && r.peer === peer)?.values;
		if (!vs) continue;
		check('fan-out p50', `ours/${peer} ≤ 1.0`, vs.p50Ms, 1);
		check('fan-out p95', `ours/${peer} ≤ 1.0`, vs.p95Ms, 1);
		check('CPU per update', `ours/${peer} ≤ 1.0`, vs.cpuUsPerUpdate, 1);
		check('connect storm', `ours/${peer} ≤ 1.0`, vs.stormS, 1);
	}
	const ours = rows.find((r) => r.server === 'ours' && r.topology === 'single');
	if (ours) {
		check('memory per idle connection', '≤ 16 KB', ours.idleKbPerConnection, 16);
		if (ours.persistP99Ms !== null)
			check('accept → durable p99', '≤ 100 ms', ours.persistP99Ms, 100);
	}
	// what the Redis hop adds (docs/performance.md, "Scale-out"), the normal and the worst case,
	// against one process; and the normal case against one process behind the same nginx (the
	// Redis hop and the second process alone)
	for (const delta of scaleOut) {
		if (delta.server !== 'ours') continue;
		const against =
			delta.base === 'single' && (delta.topology === 'shared' || delta.topology === 'split')
				? 'ours'
				: delta.base === 'proxied' && delta.topology === 'shared'
					? 'ours@proxied'
					: null;
		if (against === null) continue;
		const at = `ours@${delta.topology}`;
		check(`${at} fan-out p50 added`, `≤ +1 ms over ${against}`, delta.p50AddedMs, 1);
		check(`${at} CPU per update`, `≤ 1.3× ${against}`, delta.cpuRatio, 1.3);
	}
	// against the peer that persists, on the same topology
	for (const ratio of ratios) {
		if (ratio.ours !== 'ours@shared' || ratio.peer !== 'hocuspocus-sqlite@shared') continue;
		const name = `${ratio.ours}/${ratio.peer}`;
		check(`fan-out p50 ${name}`, '≤ 1.0', ratio.values.p50Ms, 1);
		check(`fan-out p95 ${name}`, '≤ 1.0', ratio.values.p95Ms, 1);
		check(`CPU per update ${name}`, '≤ 1.0', ratio.values.cpuUsPerUpdate, 1);
	}
	return { point, rows, ratios, perRepetition, scaleOut, targets };
}

function ratiosOf(ours: ServerRow, peer: ServerRow): Record<RatioKey, number> {
	const values = {} as Record<RatioKey, number>;
	for (const key of RATIO_KEYS) values[key] = ours[key] / peer[key];
	return values;
}

function fmt(value: number | null | undefined, digits = 1): string {
	if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
	return value.toFixed(digits);
}

function table(headers: string[], rows: string[][]): string {
	const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
	const line = (cells: string[]) =>
		cells
			.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
			.join('  ');
	return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatPoint(
	summary: PointSummary,
	info: { writerRate: number; durationMs: number; reps: number }
): string {
	const { point } = summary;
	const perDoc = point.clients / point.docs;
	const title =
		`== ${point.clients} clients × ${point.docs} docs (${fmt(perDoc, perDoc % 1 ? 1 : 0)} per doc), ` +
		`${point.docs} writers × ${info.writerRate} updates/s = ${fmt(point.docs * info.writerRate, 0)} updates/s offered, ` +
		`${fmt(info.durationMs / 1000, 0)} s window, median of ${info.reps} rep${info.reps > 1 ? 's' : ''}`;
	const headers = [
		'server',
		'storm s',
		'synced',
		'SYN drops',
		'p50 ms',
		'p95 ms',
		'p99 ms',
		'CPU µs/upd',
		'RSS KB/conn',
		'idle KB/conn',
		'drops',
		'sent',
		'upd/s',
		'delivered',
		'closes',
		'policy',
		'LG ELD p99 ms',
		'LG CPU %'
	];
	const rows = summary.rows.map((r) => [
		r.failedReps > 0 ? `${r.label} (${r.failedReps} failed)` : r.label,
		fmt(r.stormS, 2),
		`${fmt(r.synced, 0)}/${fmt(r.clients, 0)}`,
		fmt(r.synDrops, 0),
		fmt(r.p50Ms, 2),
		fmt(r.p95Ms, 2),
		fmt(r.p99Ms, 2),
		fmt(r.cpuUsPerUpdate, 0),
		fmt(r.rssKbPerConnection, 1),
		fmt(r.idleKbPerConnection, 1),
		fmt(r.drops, 0),
		fmt(r.sent, 0),
		fmt(r.updatesPerSecond, 0),
		fmt(r.delivered, 0),
		fmt(r.closes, 0),
		fmt(r.policyCloses, 0),
		fmt(r.loadGenEldP99Ms, 1),
		fmt(r.loadGenCpuPercent, 0)
	]);
	for (const ratio of summary.ratios) {
		rows.push([
			`${ratio.ours}/${ratio.peer}`,
			`${fmt(ratio.values.stormS, 2)}×`,
			'',
			'',
			...RATIO_KEYS.slice(1).map((key) => `${fmt(ratio.values[key], 2)}×`),
			'',
			'',
			'',
			'',
			'',
			'',
			'',
			''
		]);
	}
	const lines = [title, table(headers, rows)];
	for (const { ours, peer } of summary.ratios) {
		const reps = summary.perRepetition.filter((r) => r.ours === ours && r.peer === peer);
		if (reps.length === 0) continue;
		const series = (key: RatioKey) => reps.map((r) => fmt(r.values[key], 2)).join(' / ') + '×';
		lines.push(
			`${ours}/${peer} per repetition: storm ${series('stormS')}, p50 ${series('p50Ms')}, ` +
				`p95 ${series('p95Ms')}, CPU ${series('cpuUsPerUpdate')}`
		);
	}
	for (const ours of summary.rows.filter((r) => r.server === 'ours' && r.reps > 0)) {
		lines.push(
			`${ours.label} also: FerretDB CPU ${fmt(ours.dbCpuUsPerUpdate, 0)} µs/update (not in the CPU column); ` +
				`accept → durable p99 ${fmt(ours.persistP99Ms, 1)} ms, ` +
				`${fmt((ours.persistWithin100ms ?? NaN) * 100, 2)}% within 100 ms (server histogram); ` +
				`update size ${fmt(ours.updateBytes, 0)} B` +
				(ours.replicaShare === null
					? ''
					: `; updates applied as another process's (replicas, feeds included): ${fmt(ours.replicaShare * 100, 0)}% of updates sent` +
						`; shared log backlog after the window ${fmt(ours.sharedLogBacklog, 0)} entries`)
		);
	}
	const partsRows = summary.rows.filter((r) => Object.keys(r.cpuPartsUsPerUpdate).length > 1);
	if (partsRows.length > 0) {
		lines.push(
			'CPU µs/update by process: ' +
				partsRows
					.map(
						(r) =>
							`${r.label} ` +
							Object.entries(r.cpuPartsUsPerUpdate)
								.map(([name, us]) => `${name} ${fmt(us, 0)}`)
								.join(' + ')
					)
					.join('; ')
		);
	}
	lines.push(
		"of the CPU column, threads other than each process's main thread (in Node: V8's compiler " +
			"and GC helpers, libuv's pool; each process runs its own), µs/update: " +
			summary.rows.map((r) => `${r.label} ${fmt(r.helperThreadsCpuUsPerUpdate, 0)}`).join(', ')
	);
	lines.push(
		"wake-ups of the server processes' main threads per update (voluntary context switches: " +
			'each time an event loop had nothing to do and an event woke it): ' +
			summary.rows.map((r) => `${r.label} ${fmt(r.wakeupsPerUpdate, 2)}`).join(', ')
	);
	for (const d of summary.scaleOut) {
		const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${fmt(ms, 2)}`;
		const base = targetLabel(d.server, d.base);
		lines.push(
			`${targetLabel(d.server, d.topology)} over ${base}: fan-out p50 ${signed(d.p50AddedMs)} ms, ` +
				`p95 ${signed(d.p95AddedMs)} ms, p99 ${signed(d.p99AddedMs)} ms; CPU per update ` +
				`${fmt(d.cpuRatio, 2)}×` +
				(d.cpuWithDbRatio === null ? '' : ` (${fmt(d.cpuWithDbRatio, 2)}× with FerretDB)`) +
				(d.perRepetition.length > 1
					? `; per repetition p50 ${d.perRepetition.map((r) => signed(r.p50AddedMs)).join(' / ')} ms, ` +
						`CPU ${d.perRepetition.map((r) => fmt(r.cpuRatio, 2)).join(' / ')}×`
					: '')
		);
	}
	lines.push(
		`order switches in the window (connections moved to their slot's next order; not in the latencies): ` +
			summary.rows
				.map(
					(r) =>
						`${r.label} ${fmt(r.switches, 0)} (p50 ${fmt(r.switchP50Ms, 1)} ms, p99 ${fmt(r.switchP99Ms, 1)} ms)`
				)
				.join(', '),
		`orders delivered in the window / receivers per event (of ${fmt(perDoc - 1, perDoc % 1 ? 1 : 0)}): ` +
			summary.rows
				.map((r) => `${r.label} ${fmt(r.ordersDelivered, 0)} / ${fmt(r.receiversPerEvent, 2)}`)
				.join(', '),
		`policy closes (1008, 44xx) / events out of turn (held back by the bench's own check); a legal workload has none: ` +
			summary.rows
				.map((r) => `${r.label} ${fmt(r.policyCloses, 0)} / ${fmt(r.outOfTurn, 0)}`)
				.join(', ')
	);
	lines.push(
		'storm CPU s: ' +
			summary.rows
				.map(
					(r) =>
						`${r.label} ${fmt(r.stormCpuS, 2)}` +
						(r.stormDbCpuS === null ? '' : ` + FerretDB ${fmt(r.stormDbCpuS, 2)}`)
				)
				.join(', ')
	);
	if (summary.targets.length > 0) {
		lines.push(
			'targets: ' +
				summary.targets
					.map(
						(t) =>
							`${t.name} ${t.target}: ${t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED'} (${fmt(t.value, 2)})`
					)
					.join('; ')
		);
	}
	return lines.join('\n');
}

export function formatExtras(
	lifecycle: LifecycleResult | null,
	lifecycleError: string | null,
	pwa: PwaResult | null,
	pwaNote: string | null
): string {
	const lines = ['== ours only: storage, cold load, PWA'];
	if (lifecycle) {
		const s = lifecycle.storage;
		lines.push(
			`delivered order (${lifecycle.orders} orders, ${lifecycle.compacted} compacted): final Yjs state ${fmt(s.finalStateBytes, 0)} B, ` +
				`stored ${fmt(s.storedBytes, 0)} B → ${fmt(s.ratioMedian, 2)}× median, ${fmt(s.ratioMax, 2)}× max (target ≤ 2×: ${s.ratioMax <= 2 ? 'met' : 'MISSED'})`,
			`cold load from MongoDB (persistence load + apply, ${lifecycle.coldLoadMs.samples} loads): ` +
				`p50 ${fmt(lifecycle.coldLoadMs.p50, 2)} ms, p99 ${fmt(lifecycle.coldLoadMs.p99, 2)} ms ` +
				`(target p99 ≤ 5 ms: ${lifecycle.coldLoadMs.p99 <= 5 ? 'met' : 'MISSED'}); ` +
				`a bare findOne of the same snapshot rows: p50 ${fmt(lifecycle.bareFindMs.p50, 2)} ms, p99 ${fmt(lifecycle.bareFindMs.p99, 2)} ms`,
			`first sync of an unloaded order over a socket (auth + room policy + load + step 2, ${lifecycle.coldSyncMs.samples} docs): ` +
				`p50 ${fmt(lifecycle.coldSyncMs.p50, 2)} ms, p99 ${fmt(lifecycle.coldSyncMs.p99, 2)} ms`
		);
	} else {
		lines.push(`delivered-order storage and cold load: n/a (${lifecycleError ?? 'skipped'})`);
	}
	if (pwa) {
		if (pwa.shop.ok) {
			const kb = (n: number) => fmt(n / KB, 1);
			lines.push(
				`shop first load: ${pwa.shop.scripts.length} scripts, ${kb(pwa.shop.transferredBytes)} KB transferred ` +
					`(${[...new Set(pwa.shop.scripts.map((s) => s.encoding))].join('/')}), ${kb(pwa.shop.gzipBytes)} KB as gzip ` +
					`(target ≤ 120 KB gzip: ${pwa.shop.gzipBytes <= 120 * KB ? 'met' : 'MISSED'}); ` +
					`service worker fetched ${pwa.shop.swScripts} more scripts, ${kb(pwa.shop.swBytes)} KB`
			);
		} else {
			lines.push(`shop first load: n/a (${pwa.shop.reason})`);
		}
		const reload = pwa.partnerOfflineReload;
		lines.push(
			reload.ok
				? `partner page offline reload: ${fmt(reload.ms, 0)} ms (navigation to load event ${fmt(reload.navigationMs, 0)} ms)`
				: `partner page offline reload: ${reload.reason}`
		);
	} else {
		lines.push(`PWA: n/a (${pwaNote ?? 'skipped'})`);
	}
	return lines.join('\n');
}
