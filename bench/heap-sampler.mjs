// A preload for a server under the bench: samples its allocations through the inspector for a
// while and writes a .heapprofile (docs/performance.md, "Running the benches"). For ours:
//
//   HEAP_SAMPLE_DIR=test-results/bench/heap npm run bench -- --servers ours ... \
//     "--ours-node-flags=--single-threaded-gc --import=./bench/heap-sampler.mjs"
//
// HEAP_SAMPLE_START_S (default 16: after the storm and warm-up) and HEAP_SAMPLE_S (default 12)
// place the sample; HEAP_SAMPLE_KEEP=promoted leaves out what scavenges collect (what the GC
// promotes), =live everything collected (what stays), =all (default) nothing. Summarise with
// `npm run bench:heap-summary -- FILE`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';

const dir = resolve(process.env.HEAP_SAMPLE_DIR ?? 'test-results/bench/heap');
const startMs = Number(process.env.HEAP_SAMPLE_START_S ?? 16) * 1000;
const lengthMs = Number(process.env.HEAP_SAMPLE_S ?? 12) * 1000;
const keep = process.env.HEAP_SAMPLE_KEEP ?? 'all';
if (!['all', 'promoted', 'live'].includes(keep)) throw new Error(`HEAP_SAMPLE_KEEP=${keep}?`);

const session = new Session();
session.connect();
setTimeout(async () => {
	await session.post('HeapProfiler.enable');
	await session.post('HeapProfiler.startSampling', {
		samplingInterval: 16_384,
		includeObjectsCollectedByMinorGC: keep === 'all',
		includeObjectsCollectedByMajorGC: keep !== 'live'
	});
	const cpuBefore = process.cpuUsage();
	setTimeout(async () => {
		const { profile } = await session.post('HeapProfiler.stopSampling');
		const cpu = process.cpuUsage(cpuBefore);
		mkdirSync(dir, { recursive: true });
		const file = join(dir, `${process.pid}-${keep}.heapprofile`);
		writeFileSync(file, JSON.stringify({ ...profile, meta: { keep, lengthMs, cpu } }));
	}, lengthMs).unref();
}, startMs).unref();
