// The partner list of `feed/admin`: every partner account with its availability, delivery stats
// and whether it is online (has a socket open to this sync-server).
//
// Presence is read from the server's open connections on a short interval (which also debounces
// reconnect flapping) and kept in memory. The list is written only while feed/admin is loaded
// (an admin is watching, or an order change is being projected into it): when it loads, every
// partner is re-read and written with the current presence, so a stored "online" from before a
// restart never lingers. While loaded, presence changes are written at once, accounts are
// re-read on a slow interval and immediately when the web app reports a change
// (POST /internal/partners/<id>, e.g. the availability toggle). A partner's stats change with
// every delivery and rating; those refreshes are gathered for STATS_COALESCE_MS and done for all
// the partners concerned with one read of the index (on FerretDB every such query reads the whole
// `orders` collection, so one per delivery saturated the database under load). An admin opening
// the board gets every partner re-read (at most every JOIN_REFRESH_MS), so the numbers are right
// when someone looks whatever a gathered refresh missed; refreshes read and write one at a time.
import {
	feedDocName,
	partnersMap,
	readPartners,
	writePartnerEntry,
	type PartnerEntry
} from '../../src/lib/order/index.ts';
import type { Collections, UserDoc } from '../../src/lib/shared/db.ts';
import type { Logger } from '../../src/lib/shared/log.ts';
import {
	computeAllPartnerStats,
	computePartnerStats,
	NO_STATS,
	type PartnerStats
} from '../../src/lib/shared/partner-stats.ts';
import { Counter, type Registry } from 'prom-client';
import type { SyncDocument } from '../core/document.ts';
import type { SyncServer } from '../core/server.ts';
import { FEED_ORIGIN } from './projection/feed-entries.ts';
import type { DispatchPrincipal } from './principal.ts';

const ADMIN_FEED = feedDocName('admin');
/** How long stats refreshes are gathered before one read serves them all. */
const STATS_COALESCE_MS = 1_000;
/** An admin opening the board re-reads every partner unless that was done this recently. */
const JOIN_REFRESH_MS = 5_000;

/** Presence across the processes sharing documents (scale-out/shared-presence.ts). */
export interface PresenceExchange {
	/** Publishes this process's online partners; returns the partners online anywhere. */
	exchange(local: ReadonlySet<string>): Promise<Set<string>>;
	/** Whether this process writes presence changes (it holds feed/admin: `holding`). */
	writes(holding: boolean): boolean;
	stop(): Promise<void>;
}

export interface PartnerBoardOptions {
	server: SyncServer<DispatchPrincipal>;
	/** With several processes: presence is everyone's, and one of them writes its changes. */
	presence?: PresenceExchange;
	collections: Collections;
	log: Logger;
	registry: Registry;
	presenceIntervalMs?: number;
	refreshIntervalMs?: number;
}

export class PartnerBoard {
	/** What feed/admin holds (as this process wrote it). */
	private readonly entries = new Map<string, PartnerEntry>();
	private online = new Set<string>();
	/** Partner id → ISO time they were last seen connecting or disconnecting. */
	private readonly lastSeen = new Map<string, string>();
	private presenceTimer: NodeJS.Timeout | null = null;
	private refreshTimer: NodeJS.Timeout | null = null;
	private sweeping = false;
	/** Whether this process wrote presence changes at the last sweep. */
	private presenceWriter = false;
	private stopped = false;
	/** Partners whose stats changed since the last gathered refresh. */
	private readonly statsDirty = new Set<string>();
	private statsTimer: NodeJS.Timeout | null = null;
	private statsRefresh: Promise<void> | null = null;
	private readonly statsReads: Counter;
	/**
	 * Reads of the index and the writes of what they read, one after another: a refresh that read
	 * before another wrote can never write over it with older numbers.
	 */
	private refreshes: Promise<void> = Promise.resolve();
	/** When the last full refresh started reading (Date.now()). */
	private lastFullRefresh = -Infinity;

	constructor(private readonly options: PartnerBoardOptions) {
		this.statsReads = new Counter({
			name: 'sync_partner_stats_reads_total',
			help: 'Reads of the orders index for the partner stats of feed/admin (gathered refreshes)',
			registers: [options.registry]
		});
	}

	start(): void {
		this.presenceTimer = setInterval(
			() => void this.sweepPresence(),
			this.options.presenceIntervalMs ?? 500
		);
		this.presenceTimer.unref();
		this.refreshTimer = setInterval(() => {
			if (this.watched()) void this.refreshAll();
		}, this.options.refreshIntervalMs ?? 60_000);
		this.refreshTimer.unref();
	}

	stop(): void {
		this.stopped = true;
		if (this.presenceTimer) clearInterval(this.presenceTimer);
		if (this.refreshTimer) clearInterval(this.refreshTimer);
		if (this.statsTimer) clearTimeout(this.statsTimer);
		void this.options.presence?.stop();
	}

	/**
	 * A partner's stats changed (a delivery, a rating): refreshed within STATS_COALESCE_MS, with
	 * every other partner whose stats changed meanwhile, by one read; one such read at a time.
	 */
	statsChanged(partnerId: string): void {
		if (!this.watched()) return; // written in full the next time feed/admin loads
		this.statsDirty.add(partnerId);
		this.scheduleStats();
	}

	private scheduleStats(): void {
		if (this.statsTimer !== null || this.statsRefresh !== null || this.stopped) return;
		this.statsTimer = setTimeout(() => {
			this.statsTimer = null;
			this.statsRefresh = this.refreshStats().finally(() => {
				this.statsRefresh = null;
				if (this.statsDirty.size > 0) this.scheduleStats();
			});
		}, STATS_COALESCE_MS);
		this.statsTimer.unref();
	}

	private refreshStats(): Promise<void> {
		return this.serially(() => this.readAndWriteStats());
	}

	private async readAndWriteStats(): Promise<void> {
		const ids = [...this.statsDirty];
		this.statsDirty.clear();
		if (!this.watched()) return;
		this.statsReads.inc();
		try {
			const [users, stats] = await Promise.all([
				this.options.collections.users.find({ _id: { $in: ids } }).toArray(),
				computeAllPartnerStats(this.options.collections, ids)
			]);
			const partners = users.filter((user) => user.role === 'partner');
			const kept = new Set(partners.map((user) => user._id));
			await this.write(
				partners.map((user) => entryOf(user, stats.get(user._id) ?? NO_STATS)),
				ids.filter((id) => !kept.has(id))
			);
		} catch (error) {
			this.options.log.warn({ err: error }, 'could not refresh partner stats');
		}
	}

	/** The core's `loaded` hook: rewrite the whole list when feed/admin loads. */
	loaded(document: SyncDocument): void {
		if (document.name === ADMIN_FEED) void this.refreshAll();
	}

	/**
	 * The core's `joined` hook: an admin opening the board gets every partner re-read (unless that
	 * was just done), so whatever the gathered refreshes missed is right when someone looks.
	 */
	joined(document: SyncDocument): void {
		if (document.name !== ADMIN_FEED) return;
		if (Date.now() - this.lastFullRefresh >= JOIN_REFRESH_MS) void this.refreshAll();
	}

	/** Re-reads one partner's account and stats (or removes the entry if it is not a partner). */
	refreshPartner(partnerId: string): Promise<void> {
		if (!this.watched()) return Promise.resolve(); // written in full the next time feed/admin loads
		return this.serially(async () => {
			const user = await this.options.collections.users.findOne({ _id: partnerId });
			if (user === null || user.role !== 'partner') {
				await this.write([], [partnerId]);
				return;
			}
			await this.write([await this.entryFor(user)]);
		});
	}

	/** Runs `task` once every refresh queued before it has written (whether it failed or not). */
	private serially(task: () => Promise<void>): Promise<void> {
		const run = this.refreshes.then(task);
		this.refreshes = run.catch(() => undefined);
		return run;
	}

	private watched(): boolean {
		return !this.stopped && this.options.server.isLoaded(ADMIN_FEED);
	}

	private refreshAll(): Promise<void> {
		return this.serially(() => this.readAndWriteAll());
	}

	private async readAndWriteAll(): Promise<void> {
		this.lastFullRefresh = Date.now();
		try {
			const [users, stats] = await Promise.all([
				this.options.collections.users.find({ role: 'partner' }).toArray(),
				computeAllPartnerStats(this.options.collections)
			]);
			const fresh = users.map((user) => entryOf(user, stats.get(user._id) ?? NO_STATS));
			const ids = new Set(users.map((user) => user._id));
			await this.write(fresh, (stored) => !ids.has(stored));
		} catch (error) {
			this.options.log.warn({ err: error }, 'could not refresh the partners of feed/admin');
		}
	}

	private async entryFor(user: UserDoc): Promise<PartnerEntry> {
		return entryOf(user, await computePartnerStats(this.options.collections, user._id));
	}

	/** Compares who has a socket open now with the last sweep; writes the difference if watched. */
	private async sweepPresence(): Promise<void> {
		if (this.sweeping || this.stopped) return;
		this.sweeping = true;
		try {
			let now = new Set<string>();
			for (const conn of this.options.server.connections()) {
				const actor = conn.principal.actor;
				if (actor.role === 'partner' && !conn.closed) now.add(actor.userId);
			}
			const { presence } = this.options;
			let writer = this.watched();
			if (presence) {
				now = await presence.exchange(now);
				writer = presence.writes(writer);
			}
			const changed = new Set(
				[...now, ...this.online].filter((id) => now.has(id) !== this.online.has(id))
			);
			this.online = now;
			// a process that just took over writing presence writes whatever feed/admin has wrong
			// (the one before it may have left before writing a change)
			if (writer && !this.presenceWriter) {
				const document = this.options.server.loadedDocument(ADMIN_FEED);
				for (const entry of document ? readPartners(document.doc) : []) {
					if (entry.online !== now.has(entry.id)) changed.add(entry.id);
				}
			}
			this.presenceWriter = writer;
			if (changed.size === 0) return;
			const seen = new Date().toISOString();
			for (const id of changed) this.lastSeen.set(id, seen);
			if (!writer) return;
			const known: PartnerEntry[] = [];
			for (const id of changed) {
				const entry = this.entries.get(id);
				if (entry) known.push(entry);
				else await this.refreshPartner(id); // a partner who registered since the last refresh
			}
			await this.write(known);
		} catch (error) {
			this.options.log.warn({ err: error }, 'presence sweep failed');
		} finally {
			this.sweeping = false;
		}
	}

	/**
	 * Writes entries (with presence as the sweep knows it now) and removes others: `remove` is a
	 * list of ids or a predicate over the ids feed/admin holds.
	 */
	private async write(
		entries: PartnerEntry[],
		remove: string[] | ((id: string) => boolean) = []
	): Promise<void> {
		if (this.stopped) return;
		await this.options.server.withDocument(ADMIN_FEED, (document) => {
			const map = partnersMap(document.doc);
			const stale = Array.isArray(remove) ? remove : [...map.keys()].filter(remove);
			document.doc.transact(() => {
				for (const entry of entries) {
					const current: PartnerEntry = {
						...entry,
						online: this.online.has(entry.id),
						lastSeen: this.lastSeen.get(entry.id) ?? null
					};
					this.entries.set(entry.id, current);
					writePartnerEntry(document.doc, current, FEED_ORIGIN);
				}
				for (const id of stale) {
					this.entries.delete(id);
					if (map.has(id)) map.delete(id);
				}
			}, FEED_ORIGIN);
		});
	}
}

function entryOf(user: UserDoc, stats: PartnerStats): PartnerEntry {
	return {
		id: user._id,
		name: user.name,
		vehicle: user.partner?.vehicle ?? null,
		available: user.partner?.available ?? false,
		online: false, // set from the sweep's view when written
		lastSeen: null,
		deliveredCount: stats.deliveredCount,
		ratingAverage: stats.ratingAverage,
		ratingCount: stats.ratingCount
	};
}
