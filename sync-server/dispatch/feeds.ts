// Feeds and the orders index, maintained by the sync-server (issue 4 item 3): wires the order
// projection (index rows + feed entries) and the partner board (feed/admin's partner list) to
// the core's `changed`/`loaded` hooks and to the HTTP router. See docs/orders.md.
import { Gauge, type Registry } from 'prom-client';
import type { Collections } from '../../src/lib/server/db.ts';
import type { Logger } from '../../src/lib/server/log.ts';
import type { SyncDocument } from '../core/document.ts';
import type { SyncServer } from '../core/server.ts';
import { OrderProjection } from './order-projection.ts';
import { PartnerBoard } from './partner-board.ts';
import { createPartnerRoute } from './partner-route.ts';
import type { DispatchPrincipal } from './principal.ts';

/** How often feed/admin drops orders finished before today (it is also pruned on every finish). */
const ADMIN_PRUNE_INTERVAL_MS = 10 * 60_000;

export interface Feeds {
	/** For the core's `changed` hook. */
	changed(docName: string): void;
	/** For the core's `loaded` hook. */
	loaded(document: SyncDocument): void;
	/** For the core's `joined` hook. */
	joined(document: SyncDocument): void;
	/** For the core's `unload` hook, before the document is flushed. Never throws. */
	unloading(document: SyncDocument): Promise<void>;
	/** POST /internal/partners/<id> */
	partnerRoute: ReturnType<typeof createPartnerRoute>;
	projection: OrderProjection;
	board: PartnerBoard;
	/** After the server listens: start the presence and pruning timers. */
	start(): Promise<void>;
	/** Before the server closes: project what is pending, stop the timers. */
	stop(): Promise<void>;
}

export function createFeeds(options: {
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
}): Feeds {
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
	let pruneTimer: NodeJS.Timeout | null = null;
	return {
		changed: (docName) => projection.changed(docName),
		loaded: (document) => {
			projection.loaded(document);
			board.loaded(document);
		},
		joined: (document) => projection.joined(document.name),
		unloading: (document) =>
			projection.unloading(document).catch((error: unknown) => {
				options.log.error({ err: error, doc: document.name }, 'projection before unload failed');
			}),
		partnerRoute: createPartnerRoute({ board, secret: options.secret, log: options.log }),
		projection,
		board,
		async start() {
			board.start();
			pruneTimer = setInterval(() => {
				projection.pruneAdminFeed().catch((error: unknown) => {
					options.log.warn({ err: error }, 'feed/admin prune failed');
				});
			}, ADMIN_PRUNE_INTERVAL_MS);
			pruneTimer.unref();
		},
		async stop() {
			if (pruneTimer) clearInterval(pruneTimer);
			board.stop();
			await projection.stop();
		}
	};
}
