// The sync-server's work per client update, in one process, with no sockets and no database:
// decode the update, validate it against the order rules, apply it to the server's Y.Doc (with the
// observers the server has) and read the order's view as the projection does. It isolates the
// code that runs for every accepted update from the network and the machine's noise, for
// comparing changes to that code and for profiling it:
//
//   npm run bench:hot-path
//   node --cpu-prof --import tsx bench/hot-path.ts --events 200
//
// The socket-level benchmark against the peers is bench/main.ts. The workload is the same, and
// legal under the order rules: `--docs` order slots, each with one writer (the order's assigned
// partner) appending the order's next step at the end of `events` (`preparing`,
// `out_for_delivery`, `delivered`, each once, on top of its own earlier ones); after `delivered`
// the slot opens a new claimed order (not measured). `--events` is the client events per slot,
// so each slot runs about events / 3 orders through their lifecycle.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as Y from 'yjs';
import { readOrderCached } from '../src/lib/order/order-cache.ts';
import { createEvent, eventsArray, type Actor } from '../src/lib/order/index.ts';
import { PEOPLE, replicaOf, serverDoc } from '../src/lib/order/test-fixtures.ts';
import { collectClientOwners } from '../src/lib/order/client-owners.ts';
import { validateClientUpdate } from '../src/lib/order/validate-update.ts';
import { ORDER_STEPS } from './load/generator.ts';

export interface HotPathOptions {
	/** Orders open at once (slots). */
	docs: number;
	/** Client events per slot (three per order: a new order follows each `delivered`). */
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
	/** The assigned partner's copy: the only writer. */
	writer: { doc: Y.Doc; actor: Actor };
	/** Index into ORDER_STEPS of the writer's next event. */
	step: number;
	relayed: Uint8Array[];
}

/** A claimed order (meta, assignment, the partner's `accepted`), loaded as the server holds it. */
function openOrder(): Order {
	const server = serverDoc({ claimed: true });
	// what the server keeps per loaded order: the owners of client ids, the cached view, and an
	// update listener (the server stores and relays every update)
	const owners = collectClientOwners(server);
	readOrderCached(server);
	const relayed: Uint8Array[] = [];
	server.on('update', (update: Uint8Array) => relayed.push(update));
	const writer = { doc: replicaOf(server), actor: PEOPLE.partner };
	return { server, owners, writer, step: 0, relayed };
}

/** The update the writer sends for the order's next step. */
function append(order: Order, seq: number): Uint8Array {
	let sent: Uint8Array | null = null;
	const capture = (update: Uint8Array) => (sent = update);
	const { doc, actor } = order.writer;
	doc.on('update', capture);
	eventsArray(doc).push([createEvent(actor, ORDER_STEPS[order.step++]!, `note ${seq}`)]);
	doc.off('update', capture);
	if (sent === null) throw new Error('the append produced no update');
	return sent;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[sorted.length >> 1] ?? NaN;
}

export function measureHotPath(options: HotPathOptions): HotPathResult {
	const slots = Array.from({ length: options.docs }, openOrder);
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
		let order = slots[i % slots.length]!;
		if (order.step === ORDER_STEPS.length) {
			// delivered: the slot's next order (not measured)
			order.server.destroy();
			order.writer.doc.destroy();
			order = slots[i % slots.length] = openOrder();
		}
		const writer = order.writer;
		const update = append(order, i);

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
			{ actor: writer.actor, clientOwners: order.owners, now: Date.now() },
			decoded
		);
		if (!verdict.ok) throw new Error(`update ${i} refused: ${verdict.reason}`);
		for (const [clientId, userId] of verdict.newOwners) order.owners.set(clientId, userId);
		lap(1);
		Y.applyUpdate(order.server, update, writer);
		lap(2);
		if (readOrderCached(order.server) === null) throw new Error('the order has no view');
		lap(3);

		// what the server would relay (to watchers: their work, not measured here)
		order.relayed.length = 0;
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
		`hot path, ${options.docs} orders at a time, ${options.events} events per slot ` +
			`(${ORDER_STEPS.length} per order, then the next order), ${result.updates} ` +
			`updates measured (median of ${options.rounds} rounds), per update:\n` +
			`  decode ${us(result.decodeUs)} · validate ${us(result.validateUs)} · ` +
			`apply ${us(result.applyUs)} · view ${us(result.viewUs)} · total ${us(result.totalUs)}`
	);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
