// The Yjs storage's counters (docs/sync-server.md, "Operability"), one set per registry: a
// storage made again in the same process (the storage writer of processes that share documents
// makes one each time it takes the role) counts on in the same counters.
import { Counter, type Registry } from 'prom-client';

export type PersistenceMetrics = ReturnType<typeof createPersistenceMetrics>;

export function createPersistenceMetrics(registry: Registry) {
	const registers = [registry];
	const made = (name: string) => registry.getSingleMetric(name) as Counter | undefined;
	const counters = {
		logWrites:
			made('sync_log_entries_written_total') ??
			new Counter({
				name: 'sync_log_entries_written_total',
				help: 'Update log entries written (one per document per flush)',
				registers
			}),
		flushes:
			made('sync_flushes_total') ??
			new Counter({
				name: 'sync_flushes_total',
				help: 'Writes of the update log (each one insertMany for every document with pending updates)',
				registers
			}),
		storeFailures:
			made('sync_store_failures_total') ??
			new Counter({
				name: 'sync_store_failures_total',
				help: 'Failed attempts to write a document update (retried with backoff)',
				registers
			}),
		dropped:
			made('sync_store_dropped_updates_total') ??
			new Counter({
				name: 'sync_store_dropped_updates_total',
				help: 'Updates given up on after repeated store failures (clients still hold them)',
				registers
			}),
		compactions:
			made('sync_compactions_total') ??
			new Counter({
				name: 'sync_compactions_total',
				help: 'Completed compactions of a document log into its snapshot',
				registers
			}),
		compactionsFromMemory:
			made('sync_compactions_from_memory_total') ??
			new Counter({
				name: 'sync_compactions_from_memory_total',
				help: 'Compactions written from the loaded document, without reading its log',
				registers
			}),
		compactionFailures:
			made('sync_compaction_failures_total') ??
			new Counter({
				name: 'sync_compaction_failures_total',
				help: 'Compactions that failed (the log is kept; retried later)',
				registers
			}),
		generationsDropped:
			made('sync_log_generations_dropped_total') ??
			new Counter({
				name: 'sync_log_generations_dropped_total',
				help: 'Update log generations dropped after everything in them was compacted',
				registers
			})
	};
	return counters;
}
