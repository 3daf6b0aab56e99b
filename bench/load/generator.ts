// The load generator. Same code for every server; only the wire format differs (protocol.ts).
//
// The workload is legal under the order rules the sync-server enforces (every client event is
// checked against the order's state when it arrives: only the next step, by the assigned partner
// or an admin on its behalf, appended on top of every earlier event; anything else is refused and
// the socket closed), and it is the same workload for every server:
//
// - A load point `<clients>x<docs>` keeps `docs` order *slots* busy at once. Client i follows slot
//   i % docs; the slot's first client is its writer (the order's assigned partner), the others
//   are watchers (admins).
// - Each slot works through a queue of orders (`docNameOf(slot, k)`; for ours the fixtures
//   created them, each already `accepted` by the slot's partner). The writer appends
//   `preparing`, `out_for_delivery` and `delivered` to its current order at Poisson intervals
//   (mean 1 / writerRate), each on top of its own previous one: one writer per document, so
//   every event is the order's next step.
// - After `delivered` the slot moves to its next order: the writer leaves (close handshake, so
//   the event is out first) and opens the next document, and its next Poisson gap starts once
//   that is synced; each watcher moves when `delivered` reaches it. Moves are counted and timed
//   on their own ("switches"), not as fan-out.
// - Fan-out: every event sent in the window is registered with the watchers of its slot that
//   were synced to the same order when it was sent; an arrival at one of those is a latency
//   sample, one that has not arrived by the end of the grace period a drop. A watcher still
//   connecting to the order is not expected to receive (it gets the event in its sync instead).
//
// Phases: connect storm (every client to its slot's first order), the idle wave (as many clients
// again to the same documents, idle, for memory per connection; closed before the warm-up),
// warm-up, window, grace. Sockets the server closes with a policy code (1008, 4400–4499) are
// counted: with a legal workload there must be none.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { percentiles } from '../stats.ts';
import { listenOverflows, sleep } from '../processes.ts';
import { BenchClient, type ClientIdentity, type ClientState } from './client.ts';
import type { WireProtocol } from './protocol.ts';

/** What the writer appends to each order, in order: the steps after the claim's `accepted`. */
export const ORDER_STEPS = ['preparing', 'out_for_delivery', 'delivered'] as const;

/**
 * Orders each slot needs for `seconds` of sending at `writerRate`: the expected number of events
 * plus four standard deviations (Poisson) and a few, three events per order, and one to spare.
 */
export function ordersPerSlot(writerRate: number, seconds: number): number {
	const mean = writerRate * seconds;
	return Math.ceil((mean + 4 * Math.sqrt(mean) + 3) / ORDER_STEPS.length) + 1;
}

export interface Workload {
	/**
	 * Each client follows slot `docIndex`; `docName` is the slot's first order (the storm's). The
	 * first client of a slot (in this order) is its writer: it must be the orders' partner.
	 */
	clients: ClientIdentity[];
	protocol: WireProtocol;
	/** Where clients connect, or where each one does (a topology of several processes). */
	wsBase: string | ((identity: ClientIdentity) => string);
	/** The document of a slot's k-th order (k = 0 is `docName` of its clients). */
	docNameOf(slot: number, k: number): string;
	/** Orders in each slot's queue; a slot that reaches the end stops (counted as exhausted). */
	ordersPerSlot: number;
	/** Updates per second per writer (one writer per slot). */
	writerRate: number;
	warmupMs: number;
	durationMs: number;
	graceMs: number;
	/** Distinguishes this run's event ids from any other run's. */
	runTag: string;
	/** After the storm: connect as many idle clients again to the loaded documents. */
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
	 * With `idleWave`, right after `afterStorm`: called before and after a second set of clients
	 * (one per client, same documents) connects and stays idle, so the memory difference is what
	 * connections alone cost. The wave is closed before the warm-up starts.
	 */
	beforeIdleWave?(): Promise<void>;
	afterIdleWave?(connected: number): Promise<void>;
}

interface StormResult {
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

interface SwitchResult {
	/** Connections that left an order for their slot's next one, starting in the window. */
	count: number;
	/** The same over the whole run (warm-up, window, grace). */
	total: number;
	/** Left the previous order → first sync of the next (those of `count` that synced). */
	p50Ms: number;
	p99Ms: number;
	maxMs: number;
	/** Connection attempts of those moves that failed and were retried, by reason. */
	failures: Record<string, number>;
	/**
	 * Whole run: watchers moved on because their slot's writer was a grace period ahead of them,
	 * not because `delivered` reached them (a missed delivery, or an in-memory peer that dropped
	 * a document everyone had left before a slow watcher synced it).
	 */
	lagged: number;
	/** Whole run: clients whose slot ran out of orders (the queue was sized too small). */
	exhausted: number;
}

interface WindowResult {
	sent: number;
	/** `sent` ÷ the window's length: the update rate the server actually took. */
	updatesPerSecond: number;
	/** Sends skipped because the writer's socket was gone (its slot stops). */
	skipped: number;
	/**
	 * Whole run: events the generator's own check refused to send (its slot stops) because the
	 * writer's copy of the order did not end with the step before (after `accepted`, if the
	 * server holds it): a bug in the bench, never sent to the server. Must be 0.
	 */
	outOfTurn: number;
	expected: number;
	delivered: number;
	drops: number;
	/** Up to 20 of the drops, each with what its receiver was doing: to tell a lost update from the bench. */
	dropSamples: DropSample[];
	/** Receivers registered per event sent (at most clients per doc − 1). */
	receiversPerEvent: number;
	/** Orders whose `delivered` was sent in the window. */
	ordersDelivered: number;
	latencyMs: { p50: number; p95: number; p99: number; max: number; samples: number };
	/** Per second of the window (by send time): deliveries and their p95, to see when the tail happens. */
	timeline: Array<{ second: number; samples: number; p95Ms: number }>;
	/** Sockets that the server closed (after their first sync), by close code, whole run. */
	closes: Record<string, number>;
	/**
	 * Sockets closed with a policy code (1008: a refused write or rate; 4400–4499: the session)
	 * during warm-up, window and grace, whether synced or still connecting. A legal workload
	 * gets none: anything here means the bench sent something the server refuses.
	 */
	policyCloses: number;
	switches: SwitchResult;
	/** Mean encoded size of one update (one appended event). */
	updateBytes: number;
}

interface LoadGeneratorHealth {
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

function isPolicyClose(code: number): boolean {
	return code === 1008 || (code >= 4400 && code <= 4499);
}

/** One (event, receiver) pair that never arrived, and the receiver's state at the end. */
export interface DropSample {
	type: string;
	slot: number;
	/** The order (queue position) the event was sent on; the receiver's and the writer's now. */
	order: number;
	receiverOrder: number;
	writerOrder: number;
	/** The receiver's connection state at the end, and whether it is still the seat's. */
	state: ClientState;
	current: boolean;
	/** Why the receiver left that order, if it did. */
	leftBy: 'delivered' | 'sweep' | 'caught-up' | null;
	/** Its sync to the order, ms before the send (positive: synced before). */
	syncedBeforeSendMs: number;
	/** Updates the server relayed to that connection. */
	updatesReceived: number;
}

interface Sent {
	sentAt: number;
	type: string;
	slot: number;
	order: number;
	/** The connections expected to receive it: the slot's watchers synced to that order. */
	receivers: Set<BenchClient>;
	received: number;
}

/** One client of a slot; its connection is replaced at every move to the next order. */
interface Seat {
	identity: ClientIdentity;
	slot: Slot;
	writer: boolean;
	conn: BenchClient;
	/** The order (queue position) `conn` is on. */
	order: number;
	/** When the seat left its previous order (NaN: not moving). */
	leftAt: number;
	/** Whether the move under way started in the window (it then counts as a switch). */
	leftInWindow: boolean;
	/** Set once the slot ran out of orders: the seat stays where it is. */
	done: boolean;
}

interface Slot {
	index: number;
	writer: Seat | null;
	watchers: Seat[];
	/** Index into ORDER_STEPS of the writer's next event on its current order. */
	step: number;
	/** When the writer synced its current order, NaN while it moves (watchers further behind are swept on). */
	writerSyncedAt: number;
	stopped: boolean;
}

const NOTE_PREFIX = 'bench sent=';
const NOOP = () => undefined;
const SWEEP_MS = 250;

export async function runLoad(workload: Workload, hooks: RunHooks = {}): Promise<LoadResult> {
	const { clients: identities, protocol } = workload;
	const wsBaseOf = (identity: ClientIdentity) =>
		typeof workload.wsBase === 'string' ? workload.wsBase : workload.wsBase(identity);
	const registry = new Map<string, Sent>();
	const latencies: number[] = [];
	/** Latencies by the second of the window they were sent in. */
	const bySecond = new Map<number, number[]>();
	let windowStartedAt = NaN;
	const closes: Record<string, number> = {};
	/** Each connection's seat, and why a connection left its order (for the drop samples). */
	const seatOf = new WeakMap<BenchClient, Seat>();
	const leftBy = new WeakMap<BenchClient, NonNullable<DropSample['leftBy']>>();
	const failures: Record<string, number> = {};
	const switchFailures: Record<string, number> = {};
	const switchTimes: number[] = [];
	let switches = 0;
	let switchesTotal = 0;
	let lagged = 0;
	let exhausted = 0;
	let policyCloses = 0;
	let retries = 0;
	let synced = 0;
	let stormOpen = true;
	/** After the storm, until the grace period ends: seats move on and retry failed connects. */
	let running = false;
	/** Warm-up through the end of the window: writers send. */
	let sending = false;
	/** The window: sends are registered and counted. */
	let measuring = false;
	/** From the warm-up to the end of the grace period: policy closes are counted. */
	let counting = false;
	let lastSyncedAt = 0;
	let onAllSynced: (() => void) | null = null;
	let sent = 0;
	let skipped = 0;
	let outOfTurn = 0;
	let ordersDelivered = 0;
	let receiversRegistered = 0;
	let updates = 0;
	let updateBytes = 0;
	const meanGapMs = 1000 / workload.writerRate;
	const timers = new Set<NodeJS.Timeout>();
	const later = (ms: number, task: () => void) => {
		const timer = setTimeout(() => {
			timers.delete(timer);
			task();
		}, ms);
		timers.add(timer);
	};

	const reasonKey = (reason: string) => reason.replace(/\d{4,}/g, 'N').slice(0, 60);
	const policyReason = (reason: string) => {
		const code = /^closed (\d+)/.exec(reason)?.[1];
		return code !== undefined && isPolicyClose(Number(code));
	};

	/** A connection of `seat` to its slot's order `k`. */
	const open = (seat: Seat, k: number): BenchClient => {
		const identity = {
			...seat.identity,
			docName: workload.docNameOf(seat.identity.docIndex, k)
		};
		const conn: BenchClient = new BenchClient(identity, protocol, wsBaseOf(identity), {
			synced() {
				if (seat.conn !== conn) return;
				if (stormOpen && Number.isNaN(seat.leftAt)) {
					synced++;
					lastSyncedAt = conn.syncedAt;
					if (synced === identities.length) onAllSynced?.();
				}
				if (!Number.isNaN(seat.leftAt)) {
					if (seat.leftInWindow) switchTimes.push(conn.syncedAt - seat.leftAt);
					seat.leftAt = NaN;
				}
				if (seat.writer) {
					seat.slot.writerSyncedAt = conn.syncedAt;
					if (sending) schedule(seat.slot);
				} else {
					// the writer is already past this order: it finished while we connected
					const writer = seat.slot.writer;
					if (writer && writer.order > seat.order) {
						later(0, () => moveOn(seat, writer.order, 'caught-up'));
					}
				}
			},
			failed(_conn, reason) {
				if (seat.conn !== conn) return;
				if (counting && policyReason(reason)) policyCloses++;
				const moving = !Number.isNaN(seat.leftAt);
				if (stormOpen && !moving) {
					failures[reasonKey(reason)] = (failures[reasonKey(reason)] ?? 0) + 1;
					retries++;
				} else if (moving && seat.leftInWindow) {
					switchFailures[reasonKey(reason)] = (switchFailures[reasonKey(reason)] ?? 0) + 1;
				}
				if (!(stormOpen || running)) return;
				// what a reconnecting client does, with jitter so the retries do not come in waves
				later(100 + Math.random() * 900, () => {
					if (seat.conn === conn && (stormOpen || running)) conn.connect();
				});
			},
			closed(_conn, code) {
				closes[code] = (closes[code] ?? 0) + 1;
				if (counting && isPolicyClose(code)) policyCloses++;
			},
			received(receiver, value, at) {
				const event = value as { id?: unknown; note?: unknown; type?: unknown } | null;
				if (typeof event?.id !== 'string') return;
				const entry = registry.get(event.id);
				if (entry?.receivers.has(receiver)) {
					entry.receivers.delete(receiver);
					entry.received++;
					const note = typeof event.note === 'string' ? event.note : '';
					if (note.startsWith(NOTE_PREFIX)) {
						// the send time travels in the payload; the registry says who should get it
						const sentAt = Number(note.slice(NOTE_PREFIX.length));
						latencies.push(at - sentAt);
						const second = Math.floor((sentAt - windowStartedAt) / 1000);
						let bucket = bySecond.get(second);
						if (!bucket) bySecond.set(second, (bucket = []));
						bucket.push(at - sentAt);
					}
				}
				// the order is done: the watcher moves to the slot's next one (after this message)
				if (event.type === 'delivered' && !seat.writer && seat.conn === receiver) {
					const next = seat.order + 1;
					later(0, () => moveOn(seat, next, 'delivered'));
				}
			}
		});
		seatOf.set(conn, seat);
		return conn;
	};

	/** Leaves the seat's order and opens order `k` of its slot (if the queue has it). */
	const moveOn = (seat: Seat, k: number, why?: NonNullable<DropSample['leftBy']>) => {
		if (!running || seat.done || seat.order >= k) return;
		if (k >= workload.ordersPerSlot) {
			seat.done = true;
			exhausted++;
			if (seat.writer) seat.slot.stopped = true;
			return;
		}
		const old = seat.conn;
		if (why) leftBy.set(old, why);
		// the sweep counts from the writer's sync to its new order, not from its sync to this one
		if (seat.writer) seat.slot.writerSyncedAt = NaN;
		updates += old.updatesSent;
		updateBytes += old.updateBytesSent;
		old.leave();
		seat.order = k;
		seat.leftAt = performance.now();
		seat.leftInWindow = measuring;
		if (measuring) switches++;
		switchesTotal++;
		seat.conn = open(seat, k);
		seat.conn.connect();
	};

	/** The writer's next event on its current order, after a Poisson gap. */
	const schedule = (slot: Slot) => {
		if (slot.stopped) return;
		later(-Math.log(1 - Math.random()) * meanGapMs, () => {
			if (sending) sendStep(slot);
		});
	};

	let seq = 0;
	const sendStep = (slot: Slot) => {
		const writer = slot.writer!;
		const conn = writer.conn;
		if (!conn.isSynced) {
			// closed by the server: its order's state is unknown, so the slot stops here
			if (measuring) skipped++;
			slot.stopped = true;
			return;
		}
		const type = ORDER_STEPS[slot.step]!;
		// the self-check: this event is the order's next step in the writer's own copy (ours holds
		// the claim's `accepted` first; the peers start from an empty document)
		const history = conn.eventTypes();
		const steps = history[0] === 'accepted' ? history.slice(1) : history;
		if (steps.length !== slot.step || steps.some((step, i) => step !== ORDER_STEPS[i])) {
			outOfTurn++;
			slot.stopped = true;
			return;
		}
		const { index, userId, role } = writer.identity;
		const id = `${workload.runTag}c${index.toString(36)}s${(++seq).toString(36)}`;
		const sentAt = performance.now();
		const value = {
			id,
			type,
			by: userId,
			role,
			at: new Date().toISOString(),
			note: `${NOTE_PREFIX}${sentAt.toFixed(3)}`
		};
		if (measuring) {
			const receivers = new Set<BenchClient>();
			for (const watcher of slot.watchers) {
				if (watcher.order === writer.order && watcher.conn.isSynced) receivers.add(watcher.conn);
			}
			registry.set(id, {
				sentAt,
				type,
				slot: slot.index,
				order: writer.order,
				receivers,
				received: 0
			});
			receiversRegistered += receivers.size;
			sent++;
			if (type === 'delivered') ordersDelivered++;
		}
		conn.append(value);
		slot.step++;
		if (slot.step < ORDER_STEPS.length) {
			schedule(slot);
			return;
		}
		// delivered: the next order (its first gap starts once the writer has synced it)
		slot.step = 0;
		moveOn(writer, writer.order + 1);
	};

	// ---- the slots and their seats
	const slots = new Map<number, Slot>();
	const seats: Seat[] = identities.map((identity) => {
		let slot = slots.get(identity.docIndex);
		if (!slot) {
			slot = {
				index: identity.docIndex,
				writer: null,
				watchers: [],
				step: 0,
				writerSyncedAt: NaN,
				stopped: false
			};
			slots.set(identity.docIndex, slot);
		}
		const seat: Seat = {
			identity,
			slot,
			writer: slot.writer === null,
			conn: null as unknown as BenchClient,
			order: 0,
			leftAt: NaN,
			leftInWindow: false,
			done: false
		};
		if (seat.writer) slot.writer = seat;
		else slot.watchers.push(seat);
		seat.conn = open(seat, 0);
		return seat;
	});
	const wave: BenchClient[] = [];
	let sweep: NodeJS.Timeout | null = null;

	try {
		// ---- connect storm
		const stormTimeoutMs = 30_000 + identities.length * 10;
		hooks.beforeStorm?.();
		const overflowsBefore = listenOverflows();
		const stormStarted = performance.now();
		const allSynced = new Promise<void>((resolve) => (onAllSynced = resolve));
		for (const seat of seats) seat.conn.connect();
		await Promise.race([allSynced, sleep(stormTimeoutMs)]);
		hooks.stormEnd?.();
		stormOpen = false;
		const connectTimes = seats
			.filter((s) => s.conn.isSynced)
			.map((s) => s.conn.syncedAt - s.conn.connectStartedAt);
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

		// ---- idle wave: the documents are loaded; only connections are added, then removed.
		// Measured here, before any order moves on, so that nothing else loads or unloads meanwhile.
		if (workload.idleWave) {
			await hooks.beforeIdleWave?.();
			let waveSynced = 0;
			let onWaveSynced: (() => void) | null = null;
			const waveDone = new Promise<void>((resolve) => (onWaveSynced = resolve));
			const offset = identities.length;
			for (const identity of identities) {
				wave.push(
					new BenchClient(
						{ ...identity, index: offset + identity.index },
						protocol,
						wsBaseOf(identity),
						{
							synced: () => {
								waveSynced++;
								if (waveSynced === identities.length) onWaveSynced?.();
							},
							failed: NOOP,
							closed: NOOP,
							received: NOOP
						}
					)
				);
			}
			for (const client of wave) client.connect();
			await Promise.race([waveDone, sleep(stormTimeoutMs)]);
			await hooks.afterIdleWave?.(waveSynced);
			for (const client of wave.splice(0)) client.destroy();
		}

		// ---- warm-up and window: each slot's writer moves its orders on at Poisson intervals
		running = true;
		sending = true;
		counting = true;
		for (const slot of slots.values()) if (slot.writer?.conn.isSynced) schedule(slot);
		sweep = setInterval(() => {
			// a watcher whose writer has been on a later order for a grace period catches up
			const now = performance.now();
			for (const slot of slots.values()) {
				const writer = slot.writer;
				if (!writer || !(now - slot.writerSyncedAt > workload.graceMs)) continue;
				for (const watcher of slot.watchers) {
					if (watcher.order < writer.order && !watcher.done) {
						lagged++;
						moveOn(watcher, writer.order, 'sweep');
					}
				}
			}
		}, SWEEP_MS);
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

		// ---- grace: late deliveries still count; after it, missing ones are drops
		let expected = 0;
		for (const entry of registry.values()) expected += entry.received + entry.receivers.size;
		const delivered = () => {
			let n = 0;
			for (const entry of registry.values()) n += entry.received;
			return n;
		};
		const graceEnds = performance.now() + workload.graceMs;
		while (performance.now() < graceEnds && delivered() < expected) await sleep(50);
		const got = delivered();
		counting = false;
		const dropSamples: DropSample[] = [];
		samples: for (const entry of registry.values()) {
			for (const receiver of entry.receivers) {
				if (dropSamples.length >= 20) break samples;
				const seat = seatOf.get(receiver)!;
				dropSamples.push({
					type: entry.type,
					slot: entry.slot,
					order: entry.order,
					receiverOrder: seat.order,
					writerOrder: seat.slot.writer?.order ?? -1,
					state: receiver.state,
					current: seat.conn === receiver,
					leftBy: leftBy.get(receiver) ?? null,
					syncedBeforeSendMs: entry.sentAt - receiver.syncedAt,
					updatesReceived: receiver.updatesReceived
				});
			}
		}
		running = false;

		const [p50, p95, p99, max] = percentiles(latencies, [50, 95, 99, 100]);
		const [switchP50, switchP99, switchMax] = percentiles(switchTimes, [50, 99, 100]);
		for (const seat of seats) {
			updates += seat.conn.updatesSent;
			updateBytes += seat.conn.updateBytesSent;
		}
		return {
			storm,
			window: {
				sent,
				updatesPerSecond: sent / (windowMs / 1000),
				skipped,
				outOfTurn,
				expected,
				delivered: got,
				drops: expected - got,
				dropSamples,
				receiversPerEvent: receiversRegistered / Math.max(1, sent),
				ordersDelivered,
				latencyMs: { p50: p50!, p95: p95!, p99: p99!, max: max!, samples: latencies.length },
				timeline: [...bySecond]
					.sort(([a], [b]) => a - b)
					.map(([second, values]) => ({
						second,
						samples: values.length,
						p95Ms: percentiles(values, [95])[0]!
					})),
				closes,
				policyCloses,
				switches: {
					count: switches,
					total: switchesTotal,
					p50Ms: switchP50!,
					p99Ms: switchP99!,
					maxMs: switchMax!,
					failures: switchFailures,
					lagged,
					exhausted
				},
				updateBytes: updateBytes / Math.max(1, updates)
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
		running = false;
		sending = false;
		if (sweep) clearInterval(sweep);
		for (const timer of timers) clearTimeout(timer);
		timers.clear();
		for (const client of wave) client.destroy();
		for (const seat of seats) seat.conn.destroy();
	}
}
