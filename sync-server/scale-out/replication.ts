// Documents shared by several sync-server processes (with REDIS_URL): this extension is their
// storage. A document loads from its channel, the shared log and MongoDB (in that order, so
// nothing accepted anywhere is missed). An accepted update is journaled on this process's disk,
// relayed to the room, and durable once the shared log has it (shared-log.ts); it reaches the
// other processes holding the document through its channel, where it is applied as a replica
// update: relayed to their sockets, not validated, stored or projected again. Awareness travels
// the same channels. Pub/sub may drop messages while a connection to Redis is down: once it is
// back, every loaded document is read again.
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import { encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Logger } from '../../src/lib/shared/log.ts';
import type { SyncExtension } from '../core/extension.ts';
import { REPLICA_ORIGIN } from '../core/rooms.ts';
import type { SyncServer } from '../core/server.ts';
import type { Principal } from '../core/types.ts';
import type { RelayJournal } from '../persistence/relay-journal.ts';
import type { StoredState } from '../persistence/stored-state.ts';
import type { RedisLink } from './redis-link.ts';
import { decodeMessage, MESSAGE_UPDATE, type SharedLog } from './shared-log.ts';
import type { SharedWatchers } from './shared-watchers.ts';

export interface ReplicationOptions<P extends Principal> {
	server: SyncServer<P>;
	link: RedisLink;
	sharedLog: SharedLog;
	/**
	 * The document's state in MongoDB, as updates, and how far its log goes as the read saw it
	 * (persistence/stored-state.ts); `tail` is how far the log goes as recorded in Redis, or null.
	 */
	readStored: (name: string, tail: number | null) => Promise<StoredState>;
	/**
	 * With relay on accept: every accepted update is appended here before the room hears it, and
	 * settled once the shared log has it (what a process gone from this disk left, its successor
	 * there appends to the shared log at start).
	 */
	journal?: RelayJournal;
	/** Who has which document open on the other processes. */
	watchers: SharedWatchers;
	log: Logger;
	registry: Registry;
}

/** How long a channel stays subscribed after its document unloads. */
const LEAVE_DELAY_MS = 1_000;

function merge(parts: Uint8Array[]): Uint8Array | null {
	if (parts.length === 0) return null;
	return parts.length === 1 ? parts[0]! : Y.mergeUpdates(parts);
}

export function replication<P extends Principal>(
	options: ReplicationOptions<P>
): SyncExtension<P> & { resyncAll(): Promise<void> } {
	const { server, link, sharedLog, journal, readStored, watchers, log } = options;
	/** Updates heard on the channel of a document while it loads: part of what it loads. */
	const loading = new Map<string, Uint8Array[]>();
	const received = new Counter({
		name: 'sync_replica_updates_total',
		help: 'Updates accepted by another process and applied here',
		registers: [options.registry]
	});
	const resyncs = new Counter({
		name: 'sync_replica_resyncs_total',
		help: 'Loaded documents read again after the connection to Redis came back',
		registers: [options.registry]
	});

	const onMessage = (channel: Buffer, message: Buffer) => {
		const name = sharedLog.documentOf(channel.toString('utf8'));
		const decoded = name === null ? null : decodeMessage(message);
		if (name === null || decoded === null || decoded.from === sharedLog.processId) return;
		if (decoded.kind === MESSAGE_UPDATE) {
			const buffer = loading.get(name);
			if (buffer) buffer.push(decoded.payload);
			else if (server.replicate(name, decoded.payload)) received.inc();
		} else {
			server.replicateAwareness(name, decoded.payload);
		}
	};

	const readAll = async (name: string) => {
		const unstored = await sharedLog.unstored(name);
		const stored = await readStored(name, unstored.tail);
		if (unstored.tail === null && stored.seq > 0) {
			sharedLog.recordTail(name, stored.seq).catch((error: unknown) => {
				log.debug({ err: error, doc: name }, 'log tail not recorded');
			});
		}
		return [...stored.updates, ...unstored.updates];
	};

	// A document's channel is left a while after it unloads, many at once: a document that loads
	// again meanwhile keeps its subscription (messages for a document not loaded are ignored).
	const leaving = new Set<string>();
	let leaveTimer: NodeJS.Timeout | null = null;
	const leaveChannels = () => {
		leaveTimer = null;
		const channels = [...leaving];
		leaving.clear();
		if (channels.length === 0) return;
		link.subscriber.unsubscribe(...channels).catch((error: unknown) => {
			log.debug({ err: error }, 'channels not left');
		});
	};

	const resyncAll = async () => {
		const names = server.loadedNames();
		if (names.length === 0) return;
		// The subscriber subscribed again as it came back, but Redis may run a read sent on another
		// connection before that: once a subscription of its own is confirmed, whatever is appended
		// later reaches this process, and whatever was appended earlier is in what it reads next.
		try {
			await link.subscriber.subscribe(...names.map((name) => sharedLog.channel(name)));
		} catch (error) {
			// (the connection went away again: it is read again when it is back)
			log.warn({ err: error }, 'could not subscribe again after a Redis outage');
			return;
		}
		for (const name of names) {
			try {
				const state = merge(await readAll(name));
				if (state) server.replicate(name, state);
				resyncs.inc();
			} catch (error) {
				log.warn({ err: error, doc: name }, 'could not read a document again after a Redis outage');
			}
		}
	};

	return {
		name: 'replication',
		async start() {
			link.subscriber.on('messageBuffer', onMessage);
			link.onReconnected(() => void resyncAll());
			await watchers.start();
		},
		stopping() {
			watchers.stop();
			if (leaveTimer) clearTimeout(leaveTimer);
		},
		joined(document) {
			if (document.connections.size === 1) watchers.opened(document.name);
		},
		left(document) {
			if (document.connections.size === 0) watchers.closed(document.name);
		},
		watchedElsewhere: (name) => watchers.watched(name),
		resyncAll,
		async load(name) {
			const heard: Uint8Array[] = [];
			loading.set(name, heard);
			const channel = sharedLog.channel(name);
			leaving.delete(channel);
			try {
				await link.subscriber.subscribe(channel);
				const parts = await readAll(name);
				return merge([...parts, ...heard]);
			} catch (error) {
				await link.subscriber.unsubscribe(channel).catch(() => undefined);
				throw error;
			} finally {
				loading.delete(name);
			}
		},
		store(name, update) {
			const journaled = journal?.append(name, update);
			const appended = sharedLog.append(name, update);
			// (one never appended stays in the journal, for the next start on this disk)
			if (journaled) appended.then(journaled, () => undefined);
			return appended;
		},
		loaded(document) {
			document.awareness.on(
				'update',
				(
					{ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
					origin: unknown
				) => {
					if (origin === REPLICA_ORIGIN || document.released) return;
					const changed = [...added, ...updated, ...removed];
					if (changed.length === 0) return;
					const update = encodeAwarenessUpdate(document.awareness, changed);
					sharedLog.publishAwareness(document.name, update).catch((error: unknown) => {
						log.debug({ err: error, doc: document.name }, 'awareness not published');
					});
				}
			);
		},
		async unload(document) {
			await document.whenDurable().catch(() => undefined);
			leaving.add(sharedLog.channel(document.name));
			leaveTimer ??= setTimeout(leaveChannels, LEAVE_DELAY_MS).unref();
		}
	};
}
