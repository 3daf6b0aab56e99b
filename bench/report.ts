// Turning runs into the printed tables (one per load point, a row per server, ratios of ours to
// each peer, medians over repetitions) and the ours-only section.
import type { LifecycleResult } from './extras/lifecycle.ts';
import type { PwaResult } from './extras/pwa.ts';
import type { LoadPoint, ServerName } from './options.ts';
import type { RunResult } from './run.ts';
import { median } from './stats.ts';

export interface ServerRow {
	server: ServerName;
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
	/** Ours only. */
	dbCpuUsPerUpdate: number | null;
	persistP99Ms: number | null;
	persistWithin100ms: number | null;
}

export interface PointSummary {
	point: LoadPoint;
	rows: ServerRow[];
	ratios: Array<{ peer: ServerName; values: Record<RatioKey, number> }>;
	/**
	 * The same ratios within each repetition (ours and the peer measured minutes apart, not a
	 * run apart): how far they spread shows how much of a ratio is the machine's drift.
	 */
	perRepetition: Array<{ peer: ServerName; rep: number; values: Record<RatioKey, number> }>;
	targets: TargetCheck[];
}

/** The peers that store what they get: the targets compare ours with these. */
const PERSISTING_PEERS: readonly ServerName[] = ['ywss-leveldb', 'hocuspocus-sqlite'];

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

function rowFor(server: ServerName, runs: RunResult[]): ServerRow {
	const ok = runs.filter((r) => r.ok && r.load && r.measures);
	const pick = (f: (r: RunResult) => number) => median(ok.map(f));
	const nullable = (f: (r: RunResult) => number | null | undefined) => {
		const values = ok.map(f).filter((v): v is number => typeof v === 'number');
		return values.length > 0 ? median(values) : null;
	};
	return {
		server,
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
		dbCpuUsPerUpdate: nullable((r) => r.measures!.dbCpuUsPerUpdate),
		persistP99Ms: nullable((r) => r.measures!.persist?.p99Ms),
		persistWithin100ms: nullable((r) => r.measures!.persist?.within)
	};
}

export function summarizePoint(
	point: LoadPoint,
	servers: ServerName[],
	runs: RunResult[]
): PointSummary {
	const mine = runs.filter((r) => r.point.clients === point.clients && r.point.docs === point.docs);
	const rows = servers.map((server) =>
		rowFor(
			server,
			mine.filter((r) => r.server === server)
		)
	);
	const ours = rows.find((r) => r.server === 'ours');
	const ratios: PointSummary['ratios'] = [];
	const perRepetition: PointSummary['perRepetition'] = [];
	if (ours) {
		const reps = [...new Set(mine.map((r) => r.rep))].sort((a, b) => a - b);
		const repRow = (server: ServerName, rep: number) =>
			rowFor(
				server,
				mine.filter((r) => r.server === server && r.rep === rep)
			);
		const oursByRep = new Map(reps.map((rep) => [rep, repRow('ours', rep)]));
		for (const peer of rows.filter((r) => r.server !== 'ours')) {
			ratios.push({ peer: peer.server, values: ratiosOf(ours, peer) });
			for (const [rep, oursRow] of oursByRep) {
				const peerRow = repRow(peer.server, rep);
				if (oursRow.reps === 0 || peerRow.reps === 0) continue;
				perRepetition.push({ peer: peer.server, rep, values: ratiosOf(oursRow, peerRow) });
			}
		}
	}
	const targets: TargetCheck[] = [];
	const check = (name: string, target: string, value: number, limit: number) =>
		targets.push({ name, target, value, met: Number.isFinite(value) ? value <= limit : null });
	// the targets are against the peers that persist; the in-memory ones are for reference
	for (const peer of PERSISTING_PEERS) {
		const vs = ratios.find((r) => r.peer === peer)?.values;
		if (!vs) continue;
		check('fan-out p50', `ours/${peer} ≤ 1.0`, vs.p50Ms, 1);
		check('fan-out p95', `ours/${peer} ≤ 1.0`, vs.p95Ms, 1);
		check('CPU per update', `ours/${peer} ≤ 1.0`, vs.cpuUsPerUpdate, 1);
		check('connect storm', `ours/${peer} ≤ 1.0`, vs.stormS, 1);
	}
	if (ours) {
		check('memory per idle connection', '≤ 16 KB', ours.idleKbPerConnection, 16);
		if (ours.persistP99Ms !== null)
			check('accept → durable p99', '≤ 100 ms', ours.persistP99Ms, 100);
	}
	return { point, rows, ratios, perRepetition, targets };
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
		r.failedReps > 0 ? `${r.server} (${r.failedReps} failed)` : r.server,
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
			`ours/${ratio.peer}`,
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
	for (const peer of summary.ratios.map((r) => r.peer)) {
		const reps = summary.perRepetition.filter((r) => r.peer === peer);
		if (reps.length === 0) continue;
		const series = (key: RatioKey) => reps.map((r) => fmt(r.values[key], 2)).join(' / ') + '×';
		lines.push(
			`ours/${peer} per repetition: storm ${series('stormS')}, p50 ${series('p50Ms')}, ` +
				`p95 ${series('p95Ms')}, CPU ${series('cpuUsPerUpdate')}`
		);
	}
	const ours = summary.rows.find((r) => r.server === 'ours');
	if (ours && ours.reps > 0) {
		lines.push(
			`ours also: FerretDB CPU ${fmt(ours.dbCpuUsPerUpdate, 0)} µs/update (not in the CPU column); ` +
				`accept → durable p99 ${fmt(ours.persistP99Ms, 1)} ms, ` +
				`${fmt((ours.persistWithin100ms ?? NaN) * 100, 2)}% within 100 ms (server histogram); ` +
				`update size ${fmt(ours.updateBytes, 0)} B`
		);
	}
	lines.push(
		`order switches in the window (connections moved to their slot's next order; not in the latencies): ` +
			summary.rows
				.map(
					(r) =>
						`${r.server} ${fmt(r.switches, 0)} (p50 ${fmt(r.switchP50Ms, 1)} ms, p99 ${fmt(r.switchP99Ms, 1)} ms)`
				)
				.join(', '),
		`orders delivered in the window / receivers per event (of ${fmt(perDoc - 1, perDoc % 1 ? 1 : 0)}): ` +
			summary.rows
				.map((r) => `${r.server} ${fmt(r.ordersDelivered, 0)} / ${fmt(r.receiversPerEvent, 2)}`)
				.join(', '),
		`policy closes (1008, 44xx) / events out of turn (held back by the bench's own check); a legal workload has none: ` +
			summary.rows
				.map((r) => `${r.server} ${fmt(r.policyCloses, 0)} / ${fmt(r.outOfTurn, 0)}`)
				.join(', ')
	);
	lines.push(
		'storm CPU s: ' +
			summary.rows
				.map(
					(r) =>
						`${r.server} ${fmt(r.stormCpuS, 2)}` +
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
