// Feeds and the orders index as one extension: the order projection (index rows and feed
// entries, kept in step with every order document) and the partner board (feed/admin's partner
// list), with the web app's POST /internal/partners/<id>. See docs/orders.md.
import { Gauge, type Registry } from 'prom-client';
import type { Collections } from '../../src/lib/shared/db.ts';
import type { Logger } from '../../src/lib/shared/log.ts';
import type { SyncExtension } from '../core/extension.ts';
import { REPLICA_ORIGIN } from '../core/rooms.ts';
import type { SyncServer } from '../core/server.ts';
import { OrderProjection } from './projection/order-projection.ts';
import { PartnerBoard, type PresenceExchange } from './partner-board.ts';
import { matchPath } from './http-json.ts';
import { createPartnerRoute, PARTNER_PATH } from './partner-route.ts';
import type { DispatchPrincipal } from './principal.ts';

/**
 * Another process's change to an order this process changed within this long may have been
 * concurrent with it (both admitted, then merged): each process projected its own view, so the
 * merged one is projected again. Otherwise the process that accepted a change projects it.
 */
const CONCURRENT_MS = 2_000;
/** How often feed/admin drops finished orders a stored copy still holds (it is pruned on every finish). */
const ADMIN_PRUNE_INTERVAL_MS = 10 * 60_000;

export function feeds(options: {
	server: SyncServer<DispatchPrincipal>;
	collections: Collections;
	log: Logger;
	secret: string;
	registry: Registry;
	/** How long order changes are gathered before they are projected (SYNC_PROJECTION_DELAY_MS). */
	projectionDelayMs?: number;
	/** How long an index row's activity-only change may wait (SYNC_INDEX_LAZY_MS). */
	indexLazyMs?: number;
	/** How long a feed nobody has open may go without being written (SYNC_FEED_LAZY_MS). */
	feedLazyMs?: number;
	/** With several processes: partner presence across them (partner-board.ts). */
	presence?: PresenceExchange;
}): SyncExtension<DispatchPrincipal> {
	const board = new PartnerBoard(options);
	const projection = new OrderProjection({
		...options,
		coalesceMs: options.projectionDelayMs,
		indexLazyMs: options.indexLazyMs,
		feedLazyMs: options.feedLazyMs,
		onPartnerStatsChanged: (partnerId) => board.statsChanged(partnerId)
	});
	new Gauge({
		name: 'sync_feed_entries_owed',
		help: 'Order entries owed to feeds nobody has open (written within SYNC_FEED_LAZY_MS, when someone opens the feed, or when the order unloads)',
		registers: [options.registry],
		collect() {
			this.set(projection.owedEntries());
		}
	});
	const partnerRoute = createPartnerRoute({ board, secret: options.secret, log: options.log });
	/** When this process last accepted a change to each document (for CONCURRENT_MS). */
	const changedHere = new Map<string, number>();
	let pruneTimer: NodeJS.Timeout | null = null;
	return {
		name: 'feeds',
		changed(docName, _doc, _update, origin) {
			const now = Date.now();
			if (origin === REPLICA_ORIGIN) {
				const at = changedHere.get(docName);
				if (at === undefined || now - at > CONCURRENT_MS) return;
			} else {
				changedHere.set(docName, now);
			}
			projection.changed(docName);
		},
		loaded: (document) => {
			projection.loaded(document);
			board.loaded(document);
		},
		joined: (document) => {
			projection.joined(document.name);
			board.joined(document);
		},
		// (sharing documents: a feed opened on another process gets what this one owes it)
		joinedElsewhere: (name) => projection.joined(name),
		// (before the document is flushed: it writes what the feeds still owe from it)
		beforeUnload: (document) => {
			changedHere.delete(document.name);
			return projection.unloading(document);
		},
		async handleHttp(request, response) {
			const partnerId = matchPath(request, PARTNER_PATH);
			if (partnerId === null) return false;
			await partnerRoute(request, response, partnerId);
			return true;
		},
		start() {
			board.start();
			pruneTimer = setInterval(() => {
				projection.pruneAdminFeed().catch((error: unknown) => {
					options.log.warn({ err: error }, 'feed/admin prune failed');
				});
			}, ADMIN_PRUNE_INTERVAL_MS);
			pruneTimer.unref();
		},
		async stopping() {
			if (pruneTimer) clearInterval(pruneTimer);
			board.stop();
			await projection.stop();
		}
	};
}
