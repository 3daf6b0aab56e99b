import { Registry } from 'prom-client';
import { expect, it } from 'vitest';
import { createPersistenceMetrics } from './persistence-metrics.ts';

it('registers the storage counters in the registry given, so that storages do not share them', async () => {
	const first = new Registry();
	const metrics = createPersistenceMetrics(first);
	createPersistenceMetrics(new Registry());
	metrics.flushes.inc();
	expect((await first.getMetricsAsJSON()).map((metric) => metric.name)).toEqual([
		'sync_log_entries_written_total',
		'sync_flushes_total',
		'sync_store_failures_total',
		'sync_store_dropped_updates_total',
		'sync_compactions_total',
		'sync_compactions_from_memory_total',
		'sync_compaction_failures_total',
		'sync_log_generations_dropped_total'
	]);
	expect(await first.getSingleMetricAsString('sync_flushes_total')).toContain(
		'sync_flushes_total 1'
	);
});
