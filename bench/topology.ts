// A server under test as it is deployed (options.ts, `Topology`): one process, alone or behind
// nginx, or two processes sharing documents through Redis, behind nginx (consistent hash on the
// document name) or reached directly with each document's writer on one process and its watchers
// on the other. Every part is one of the bench's children, pinned to the servers' core, so that
// the CPU of the whole deployment (every sync process, Redis, nginx) is read from /proc.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sharedLogKeys, TAIL_TTL_S } from '../sync-server/scale-out/shared-log.ts';
import type { ClientIdentity } from './load/client.ts';
import type { WireProtocol } from './load/protocol.ts';
import { startNginx, type RunningNginx } from './nginx.ts';
import { targetLabel, type ServerName, type Topology } from './options.ts';
import type { Child } from './processes.ts';
import { startRedis, type RunningRedis } from './redis.ts';
import { startServer, type OursOptions, type RunningServer } from './servers.ts';

/** The names of the two processes of a shared topology. */
export const PROCESS_IDS = ['a', 'b'] as const;

export interface RunningTopology {
	server: ServerName;
	topology: Topology;
	/** `ours`, `ours@shared`, … */
	label: string;
	protocol: WireProtocol['kind'];
	/** The sync processes (ours: /metrics of each; every one: live memory through its inspector). */
	servers: RunningServer[];
	/** Every process of the deployment, for CPU and RSS: the sync processes, Redis, nginx. */
	parts: Array<{ name: string; child: Child }>;
	/** Where a client connects (clients append /<docName>). */
	wsBaseOf(identity: ClientIdentity): string;
	/** What every part printed, one block each, and nginx's configuration. */
	output(): string;
	stop(): Promise<void>;
}

export interface TopologyOptions {
	server: ServerName;
	topology: Topology;
	core: number | null;
	/** Ours: its database and flags; `profileDir` gets a folder per process. */
	ours?: OursOptions;
	peerNodeFlags: string[];
	/** Keys of this run in Redis (`<runTag>:`). */
	runTag: string;
	/**
	 * Ours, sharing through Redis: documents seeded at rest, whose snapshot holds their whole log.
	 * Their log's tail is recorded in Redis before the processes start, as the storage writer
	 * records it for every document it stores (the seeding did not go through it).
	 */
	atRest?: string[];
}

async function recordTails(url: string, prefix: string, names: string[]): Promise<void> {
	const client = new Redis(url, { lazyConnect: true });
	try {
		await client.connect();
		const { tailPrefix } = sharedLogKeys(prefix);
		for (let i = 0; i < names.length; i += 500) {
			const batch = client.pipeline();
			for (const name of names.slice(i, i + 500)) {
				batch.set(tailPrefix + name, 0, 'EX', TAIL_TTL_S);
			}
			await batch.exec();
		}
	} finally {
		client.disconnect();
	}
}

/**
 * Which process a client of the split topology connects to: a document's writer (its partner,
 * the slot's first client) to one, its watchers to the other, alternating by slot so that both
 * processes carry writers and watchers. Every delivery then crosses Redis.
 */
function splitSide(identity: Pick<ClientIdentity, 'docIndex' | 'role'>): 0 | 1 {
	const writerSide = identity.docIndex % 2;
	return (identity.role === 'partner' ? writerSide : 1 - writerSide) as 0 | 1;
}

export async function startTopology(options: TopologyOptions): Promise<RunningTopology> {
	const { server, topology, core, ours, peerNodeFlags, runTag } = options;
	const label = targetLabel(server, topology);
	const servers: RunningServer[] = [];
	let redis: RunningRedis | null = null;
	let nginx: RunningNginx | null = null;
	let sqliteDir: string | null = null;
	const stop = async () => {
		// nginx first (it closes the clients' sockets), the sync processes (a graceful stop: the
		// storage writer flushes), then Redis, which they write to until they are gone
		await nginx?.stop();
		await Promise.all(servers.map((s) => s.stop()));
		await redis?.stop();
		if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
	};
	try {
		if (topology === 'single' || topology === 'proxied') {
			servers.push(await startServer(server, core, ours, peerNodeFlags));
		} else {
			// pair: the same two processes without Redis, the second on a database of its own
			const sharing = topology !== 'pair';
			if (sharing) {
				redis = await startRedis(core);
				if (server === 'hocuspocus-sqlite') {
					sqliteDir = mkdtempSync(join(tmpdir(), 'dispatch-bench-sqlite-'));
				}
				if (options.atRest && ours) await recordTails(redis.url, `${runTag}:`, options.atRest);
			} else if (ours && !ours.secondMongoUri) {
				throw new Error('the pair needs a second database');
			}
			const redisUrl = redis?.url;
			const started = await Promise.allSettled(
				PROCESS_IDS.map((processId, i) => {
					if (ours?.profileDir) mkdirSync(join(ours.profileDir, processId), { recursive: true });
					return startServer(
						server,
						core,
						ours && {
							...ours,
							mongoUri: !sharing && i > 0 ? ours.secondMongoUri! : ours.mongoUri,
							profileDir: ours.profileDir && join(ours.profileDir, processId)
						},
						peerNodeFlags,
						redisUrl
							? {
									redisUrl,
									prefix: `${runTag}:`,
									processId: `bench-${processId}`,
									sqliteFile: sqliteDir ? join(sqliteDir, 'hocuspocus.sqlite') : undefined
								}
							: undefined
					);
				})
			);
			for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
			const failed = started.find((result) => result.status === 'rejected');
			if (failed) throw (failed as PromiseRejectedResult).reason;
		}
		if (topology === 'proxied' || topology === 'shared' || topology === 'pair') {
			nginx = await startNginx(
				servers.map((s) => new URL(s.httpUrl).host),
				core
			);
		}
	} catch (error) {
		await stop();
		throw error;
	}
	const direct = servers.map((s) => s.wsUrl);
	const viaNginx = nginx?.wsBase ?? null;
	const wsBaseOf =
		viaNginx !== null
			? () => viaNginx
			: topology === 'split'
				? (identity: ClientIdentity) => direct[splitSide(identity)]!
				: () => direct[0]!;
	const parts = [
		...servers.map((s, i) => ({
			name: servers.length > 1 ? `${server}-${PROCESS_IDS[i]}` : server,
			child: s.child
		})),
		...(redis ? [{ name: 'redis-server', child: redis.child }] : []),
		...(nginx ? [{ name: 'nginx', child: nginx.child }] : [])
	];
	return {
		server,
		topology,
		label,
		protocol: servers[0]!.protocol,
		servers,
		parts,
		wsBaseOf,
		output: () =>
			[
				...parts.map((part) => `---- ${part.name}\n${part.child.output()}`),
				...(nginx ? [`---- nginx.conf\n${nginx.config}`] : [])
			].join('\n'),
		stop
	};
}
