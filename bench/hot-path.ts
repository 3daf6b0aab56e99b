// The sync-server's work per client update, in one process, with no sockets and no database:
// decode the update, validate it against the order rules, apply it to the server's Y.Doc (with the
// observers the server has) and read the order's view as the projection does. It isolates the
// code that runs for every accepted update from the network and the machine's noise, for
// comparing changes to that code and for profiling it:
//
//   npm run bench:hot-path
//   node --cpu-prof --import tsx bench/hot-path.ts --events 200
//
// The socket-level benchmark against the peers is bench/main.ts. The workload is the same:
// several writers per order (its partner and admins) append one event each at the end of
// `events`, taking turns.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as Y from 'yjs';
import { readOrderCached } from '../src/lib/order/order-cache.ts';
import { createEvent, eventsArray, type Actor } from '../src/lib/order/schema.ts';
import { PEOPLE, replicaOf, serverDoc } from '../src/lib/order/test-fixtures.ts';
import { collectClientOwners, validateClientUpdate } from '../src/lib/order/validate-update.ts';

export interface HotPathOptions {
	docs: number;
	/** Events each order has at the end (its log grows to this). */
	events: number;
	/** Measured rounds (after a warm-up quarter); each phase reports its median round. */
	rounds: number;
}

export interface HotPathResult {
	updates: number;
	/** µs per update, median over the rounds. */
	decodeUs: number;
	validateUs: number;
	applyUs: number;
	viewUs: number;
	totalUs: number;
}

interface Order {
	server: Y.Doc;
	owners: ReturnType<typeof collectClientOwners>;
	writers: Array<{ doc: Y.Doc; actor: Actor }>;
	relayed: Uint8Array[];
}

function openOrder(): Order {
	const server = serverDoc({ claimed: true });
	// what the server keeps per loaded order: the owners of client ids, the cached view, and an
	// update listener (the server stores and relays every update)
	const owners = collectClientOwners(server);
	readOrderCached(server);
	const relayed: Uint8Array[] = [];
	server.on('update', (update: Uint8Array) => relayed.push(update));
	const writers = [PEOPLE.partner, PEOPLE.admin].map((actor) => ({
		doc: replicaOf(server),
		actor
	}));
	return { server, owners, writers, relayed };
}

/** The update a writer sends for one appended event. */
function append(writer: Order['writers'][number], seq: number): Uint8Array {
	let sent: Uint8Array | null = null;
	const capture = (update: Uint8Array) => (sent = update);
	writer.doc.on('update', capture);
	eventsArray(writer.doc).push([
		createEvent(writer.actor, seq % 2 ? 'preparing' : 'out_for_delivery', `note ${seq}`)
	]);
	writer.doc.off('update', capture);
	if (sent === null) throw new Error('the append produced no update');
	return sent;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[sorted.length >> 1] ?? NaN;
}

export function measureHotPath(options: HotPathOptions): HotPathResult {
	const orders = Array.from({ length: options.docs }, openOrder);
	const total = options.docs * options.events;
	const warmup = Math.floor(total / 4);
	const perRound = Math.max(1, Math.floor((total - warmup) / options.rounds));
	const rounds: number[][] = [];
	let spent = [0, 0, 0, 0];
	for (let i = 0; i < total; i++) {
		if (i >= warmup && (i - warmup) % perRound === 0) {
			if (i > warmup) rounds.push(spent);
			spent = [0, 0, 0, 0];
		}
		const order = orders[i % orders.length]!;
		const writer = order.writers[Math.floor(i / orders.length) % order.writers.length]!;
		const update = append(writer, i);

		let started = performance.now();
		const lap = (phase: number) => {
			const now = performance.now();
			spent[phase]! += now - started;
			started = now;
		};
		const decoded = Y.decodeUpdate(update);
		lap(0);
		const verdict = validateClientUpdate(
			order.server,
			update,
			{ actor: writer.actor, clientOwners: order.owners },
			decoded
		);
		if (!verdict.ok) throw new Error(`update ${i} refused: ${verdict.reason}`);
		for (const [clientId, userId] of verdict.newOwners) order.owners.set(clientId, userId);
		lap(1);
		Y.applyUpdate(order.server, update, writer);
		lap(2);
		if (readOrderCached(order.server) === null) throw new Error('the order has no view');
		lap(3);

		// the relay reaches the other writers (not measured: that is the clients' work)
		for (const relayed of order.relayed.splice(0)) {
			for (const other of order.writers) if (other !== writer) Y.applyUpdate(other.doc, relayed);
		}
	}
	rounds.push(spent);
	const perUpdate = (phase: number) => (median(rounds.map((r) => r[phase]!)) / perRound) * 1000;
	const totals = rounds.map((r) => r.reduce((a, b) => a + b, 0));
	return {
		updates: total - warmup,
		decodeUs: perUpdate(0),
		validateUs: perUpdate(1),
		applyUs: perUpdate(2),
		viewUs: perUpdate(3),
		totalUs: (median(totals) / perRound) * 1000
	};
}

function main(): void {
	const { values } = parseArgs({
		options: {
			docs: { type: 'string', default: '200' },
			events: { type: 'string', default: '60' },
			rounds: { type: 'string', default: '8' },
			json: { type: 'boolean', default: false }
		}
	});
	const number = (name: 'docs' | 'events' | 'rounds') => {
		const value = Number(values[name]);
		if (!Number.isInteger(value) || value < 1) {
			console.error(`--${name}: expected a positive whole number, got "${values[name]}"`);
			process.exit(2);
		}
		return value;
	};
	const options = { docs: number('docs'), events: number('events'), rounds: number('rounds') };
	const result = measureHotPath(options);
	if (values.json) {
		console.log(JSON.stringify({ options, result }));
		return;
	}
	const us = (value: number) => `${value.toFixed(1)} µs`;
	console.log(
		`hot path, ${options.docs} orders growing to ${options.events} events, ${result.updates} ` +
			`updates measured (median of ${options.rounds} rounds), per update:\n` +
			`  decode ${us(result.decodeUs)} · validate ${us(result.validateUs)} · ` +
			`apply ${us(result.applyUs)} · view ${us(result.viewUs)} · total ${us(result.totalUs)}`
	);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
