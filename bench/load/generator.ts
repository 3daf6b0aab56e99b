// The load generator: a connect storm, then every client appends an order event at Poisson
// intervals; during the window each event is registered with the number of other subscribers
// of its document, and every arrival at one of them is a latency sample. Same code for every
// server; only the wire format differs (protocol.ts).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { percentiles } from '../stats.ts';
import { listenOverflows, sleep } from '../processes.ts';
import { BenchClient, type ClientIdentity } from './client.ts';
import type { WireProtocol } from './protocol.ts';

export interface Workload {
	clients: ClientIdentity[];
	protocol: WireProtocol;
	wsBase: string;
	/** Updates per second per client. */
	rate: number;
	warmupMs: number;
	durationMs: number;
	graceMs: number;
	/** Distinguishes this run's event ids from any other run's. */
	runTag: string;
	/** After the window: connect as many idle clients again to the loaded documents. */
	idleWave?: boolean;
}

export interface RunHooks {
	/** Just before the first client connects. */
	beforeStorm?(): void;
	/** The last client completed its first sync (called before `afterStorm`'s settling). */
	stormEnd?(): void;
	/** Every client is connected and idle (RSS is read here). */
	afterStorm?(): Promise<void>;
	windowStart?(): void | Promise<void>;
	windowEnd?(): void | Promise<void>;
	/**
	 * With `idleWave`: called before and after a second set of clients (one per client, same
	 * documents) connects and stays idle, so the RSS difference is what connections alone cost.
	 */
	beforeIdleWave?(): Promise<void>;
	afterIdleWave?(connected: number): Promise<void>;
}

export interface StormResult {
	/** From the first connect to the last completed initial sync (NaN if some never synced). */
	ms: number;
	synced: number;
	total: number;
	/** Connection attempts that failed and were retried. */
	retries: number;
	failures: Record<string, number>;
	/** Per-client connect → synced (last attempt), p50 and p99. */
	clientP50Ms: number;
	clientP99Ms: number;
	/** Connection attempts the kernel dropped during the storm because the server's accept queue was full. */
	listenOverflows: number;
}

export interface WindowResult {
	sent: number;
	/** Sends skipped because the client's socket was gone. */
	skipped: number;
	expected: number;
	delivered: number;
	drops: number;
	latencyMs: { p50: number; p95: number; p99: number; max: number; samples: number };
	/** Per second of the window (by send time): deliveries and their p95, to see when the tail happens. */
	timeline: Array<{ second: number; samples: number; p95Ms: number }>;
	/** Sockets that closed during warm-up, window or grace, by close code. */
	closes: Record<string, number>;
	/** Mean encoded size of one update (one appended event). */
	updateBytes: number;
}

export interface LoadGeneratorHealth {
	/** Event-loop delay of this process during the window, ms. */
	eventLoopDelayMs: { p50: number; p99: number; max: number };
	/** CPU this process used during the window, % of one core. */
	cpuPercent: number;
}

export interface LoadResult {
	storm: StormResult;
	window: WindowResult;
	loadGenerator: LoadGeneratorHealth;
}

interface Sent {
	sender: number;
	sentAt: number;
	expected: number;
	received: number;
}

const NOTE_PREFIX = 'bench sent=';
const NOOP = () => undefined;
const EVENT_TYPES = ['preparing', 'out_for_delivery'] as const;

export async function runLoad(workload: Workload, hooks: RunHooks = {}): Promise<LoadResult> {
	const { clients: identities, protocol, wsBase } = workload;
	const byDoc = new Map<number, BenchClient[]>();
	const registry = new Map<string, Sent>();
	const latencies: number[] = [];
	/** Latencies by the second of the window they were sent in. */
	const bySecond = new Map<number, number[]>();
	let windowStartedAt = NaN;
	const closes: Record<string, number> = {};
	const failures: Record<string, number> = {};
	let retries = 0;
	let synced = 0;
	let stormOpen = true;
	let lastSyncedAt = 0;
	let onAllSynced: (() => void) | null = null;

	const clients: BenchClient[] = identities.map(
		(identity) =>
			new BenchClient(identity, protocol, wsBase, {
				synced(client) {
					synced++;
					lastSyncedAt = client.syncedAt;
					if (synced === identities.length) onAllSynced?.();
				},
				failed(client, reason) {
					const key = reason.replace(/\d{4,}/g, 'N').slice(0, 60);
					failures[key] = (failures[key] ?? 0) + 1;
					if (!stormOpen) return;
					retries++;
					// what a reconnecting client does, with jitter so the retries do not come in waves
					setTimeout(() => stormOpen && client.connect(), 100 + Math.random() * 900).unref();
				},
				closed(_client, code) {
					closes[code] = (closes[code] ?? 0) + 1;
				},
				received(client, value, at) {
					const event = value as { id?: unknown; note?: unknown } | null;
					if (typeof event?.id !== 'string') return;
					const sent = registry.get(event.id);
					if (!sent || sent.sender === client.identity.index) return;
					const note = typeof event.note === 'string' ? event.note : '';
					if (!note.startsWith(NOTE_PREFIX)) return;
					// the send time travels in the payload; the registry only says who should get it
					const sentAt = Number(note.slice(NOTE_PREFIX.length));
					latencies.push(at - sentAt);
					const second = Math.floor((sentAt - windowStartedAt) / 1000);
					let bucket = bySecond.get(second);
					if (!bucket) bySecond.set(second, (bucket = []));
					bucket.push(at - sentAt);
					sent.received++;
				}
			})
	);
	for (const client of clients) {
		const list = byDoc.get(client.identity.docIndex) ?? [];
		list.push(client);
		byDoc.set(client.identity.docIndex, list);
	}

	const timers = new Set<NodeJS.Timeout>();
	try {
		// ---- connect storm
		const stormTimeoutMs = 30_000 + identities.length * 10;
		hooks.beforeStorm?.();
		const overflowsBefore = listenOverflows();
		const stormStarted = performance.now();
		const allSynced = new Promise<void>((resolve) => (onAllSynced = resolve));
		for (const client of clients) client.connect();
		await Promise.race([allSynced, sleep(stormTimeoutMs)]);
		hooks.stormEnd?.();
		stormOpen = false;
		const connectTimes = clients
			.filter((c) => c.isSynced)
			.map((c) => c.syncedAt - c.connectStartedAt);
		const [clientP50Ms, clientP99Ms] = percentiles(connectTimes, [50, 99]);
		const storm: StormResult = {
			ms: synced === identities.length ? lastSyncedAt - stormStarted : NaN,
			synced,
			total: identities.length,
			retries,
			failures: { ...failures },
			clientP50Ms: clientP50Ms!,
			clientP99Ms: clientP99Ms!,
			listenOverflows: listenOverflows() - overflowsBefore
		};
		await hooks.afterStorm?.();

		// ---- warm-up and window: Poisson arrivals per client
		let measuring = false;
		let sending = true;
		let sent = 0;
		let skipped = 0;
		const meanGapMs = 1000 / workload.rate;
		const seqOf = new Map<BenchClient, number>();
		const sendOne = (client: BenchClient) => {
			const seq = (seqOf.get(client) ?? 0) + 1;
			seqOf.set(client, seq);
			const { index, userId, role, docIndex } = client.identity;
			const id = `${workload.runTag}c${index.toString(36)}s${seq.toString(36)}`;
			const sentAt = performance.now();
			const value = {
				id,
				type: EVENT_TYPES[seq % 2]!,
				by: userId,
				role,
				at: new Date().toISOString(),
				note: `${NOTE_PREFIX}${sentAt.toFixed(3)}`
			};
			const peers = byDoc.get(docIndex)!;
			const expected = peers.reduce((n, peer) => n + (peer !== client && peer.isSynced ? 1 : 0), 0);
			if (measuring) registry.set(id, { sender: index, sentAt, expected, received: 0 });
			if (client.append(value)) {
				if (measuring) sent++;
			} else {
				registry.delete(id);
				if (measuring) skipped++;
			}
		};
		const schedule = (client: BenchClient) => {
			const gap = -Math.log(1 - Math.random()) * meanGapMs;
			const timer = setTimeout(() => {
				timers.delete(timer);
				if (!sending) return;
				sendOne(client);
				schedule(client);
			}, gap);
			timers.add(timer);
		};
		for (const client of clients) if (client.isSynced) schedule(client);
		await sleep(workload.warmupMs);

		const eld = monitorEventLoopDelay({ resolution: 10 });
		await hooks.windowStart?.();
		eld.enable();
		const cpuBefore = process.cpuUsage();
		const windowStarted = performance.now();
		windowStartedAt = windowStarted;
		measuring = true;
		await sleep(workload.durationMs);
		measuring = false;
		sending = false;
		const windowMs = performance.now() - windowStarted;
		const cpu = process.cpuUsage(cpuBefore);
		eld.disable();
		await hooks.windowEnd?.();
		for (const timer of timers) clearTimeout(timer);
		timers.clear();

		// ---- grace: late deliveries still count; after it, missing ones are drops
		let expected = 0;
		for (const entry of registry.values()) expected += entry.expected;
		const delivered = () => {
			let n = 0;
			for (const entry of registry.values()) n += Math.min(entry.received, entry.expected);
			return n;
		};
		const graceEnds = performance.now() + workload.graceMs;
		while (performance.now() < graceEnds && delivered() < expected) await sleep(50);
		const got = delivered();

		// ---- idle wave: the documents are loaded; only connections are added now
		let waveSynced = 0;
		if (workload.idleWave) {
			await hooks.beforeIdleWave?.();
			const offset = identities.length;
			const wave = identities.map(
				(identity) =>
					new BenchClient({ ...identity, index: offset + identity.index }, protocol, wsBase, {
						synced: () => {
							waveSynced++;
							if (waveSynced === wave.length) onWaveSynced?.();
						},
						failed: NOOP,
						closed: NOOP,
						received: NOOP
					})
			);
			let onWaveSynced: (() => void) | null = null;
			const waveDone = new Promise<void>((resolve) => (onWaveSynced = resolve));
			clients.push(...wave); // destroyed with the rest
			for (const client of wave) client.connect();
			await Promise.race([waveDone, sleep(stormTimeoutMs)]);
			await hooks.afterIdleWave?.(waveSynced);
		}
		const [p50, p95, p99, max] = percentiles(latencies, [50, 95, 99, 100]);
		const updates = clients.reduce((n, c) => n + c.updatesSent, 0);
		const updateBytes = clients.reduce((n, c) => n + c.updateBytesSent, 0) / Math.max(1, updates);
		return {
			storm,
			window: {
				sent,
				skipped,
				expected,
				delivered: got,
				drops: expected - got,
				latencyMs: { p50: p50!, p95: p95!, p99: p99!, max: max!, samples: latencies.length },
				timeline: [...bySecond]
					.sort(([a], [b]) => a - b)
					.map(([second, values]) => ({
						second,
						samples: values.length,
						p95Ms: percentiles(values, [95])[0]!
					})),
				closes,
				updateBytes
			},
			loadGenerator: {
				eventLoopDelayMs: {
					p50: eld.percentile(50) / 1e6,
					p99: eld.percentile(99) / 1e6,
					max: eld.max / 1e6
				},
				cpuPercent: ((cpu.user + cpu.system) / 1000 / windowMs) * 100
			}
		};
	} finally {
		stormOpen = false;
		for (const timer of timers) clearTimeout(timer);
		for (const client of clients) client.destroy();
	}
}
