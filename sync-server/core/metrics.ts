import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the gauges read when scraped (nothing is counted per socket or per load for them). */
export interface CoreSizes {
	connections(): number;
	documents(): number;
}

export function createCoreMetrics(registry: Registry, sizes: CoreSizes) {
	const registers = [registry];
	return {
		connections: new Gauge({
			name: 'sync_connections',
			help: 'Open WebSocket connections',
			registers,
			collect() {
				this.set(sizes.connections());
			}
		}),
		documents: new Gauge({
			name: 'sync_open_documents',
			help: 'Documents loaded in memory',
			registers,
			collect() {
				this.set(sizes.documents());
			}
		}),
		updates: new Counter({
			name: 'sync_updates_total',
			help: 'Accepted updates that changed a document (rate() of this is updates/s)',
			labelNames: ['origin'] as const,
			registers
		}),
		messages: new Counter({
			name: 'sync_messages_received_total',
			help: 'Frames received from clients',
			registers
		}),
		persistLatency: new Histogram({
			name: 'sync_persist_latency_seconds',
			help: 'Time from accepting an update to it being durable in the database',
			buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
			registers
		}),
		rejections: new Counter({
			name: 'sync_rejections_total',
			help: 'Refused upgrades and closed sockets, by reason',
			labelNames: ['reason'] as const,
			registers
		}),
		loads: new Counter({
			name: 'sync_document_loads_total',
			help: 'Documents loaded from storage into memory, by kind (the name up to its first slash)',
			labelNames: ['kind'] as const,
			registers
		}),
		loadFailures: new Counter({
			name: 'sync_load_failures_total',
			help: 'Documents that failed to load (they are not served)',
			registers
		}),
		upgradeSeconds: new Histogram({
			name: 'sync_upgrade_seconds',
			help: 'Time from upgrade request to open socket (auth, room policy, load)',
			buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
			registers
		})
	};
}

export type CoreMetrics = ReturnType<typeof createCoreMetrics>;
