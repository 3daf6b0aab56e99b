// Reading the sync-server's Prometheus /metrics: plain samples and histogram quantiles.

export type Samples = Map<string, number>;

export async function readMetrics(httpUrl: string): Promise<Samples> {
	const res = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
	const text = await res.text();
	const samples: Samples = new Map();
	for (const line of text.split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const space = line.lastIndexOf(' ');
		samples.set(line.slice(0, space), Number(line.slice(space + 1)));
	}
	return samples;
}

export interface HistogramWindow {
	count: number;
	/** Interpolated inside the bucket that holds it (buckets are coarse: read as an estimate). */
	p50Ms: number;
	p99Ms: number;
	/** Share of observations at or under `withinSeconds`, when that is a bucket bound. */
	within: number;
	withinSeconds: number;
}

/** Quantiles of the observations a histogram received between two scrapes. */
export function histogramWindow(
	before: Samples,
	after: Samples,
	name: string,
	withinSeconds: number
): HistogramWindow {
	const buckets: Array<{ le: number; count: number }> = [];
	for (const [key, value] of after) {
		const match = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}$`).exec(key);
		if (!match) continue;
		const le = match[1] === '+Inf' ? Infinity : Number(match[1]);
		buckets.push({ le, count: value - (before.get(key) ?? 0) });
	}
	buckets.sort((a, b) => a.le - b.le);
	const total = buckets.at(-1)?.count ?? 0;
	const quantile = (q: number) => {
		if (total === 0) return NaN;
		const rank = q * total;
		let lower = 0;
		let below = 0;
		for (const bucket of buckets) {
			if (bucket.count >= rank) {
				if (!Number.isFinite(bucket.le)) return lower * 1000; // beyond the last bound
				const inBucket = bucket.count - below;
				const fraction = inBucket > 0 ? (rank - below) / inBucket : 1;
				return (lower + (bucket.le - lower) * fraction) * 1000;
			}
			lower = bucket.le;
			below = bucket.count;
		}
		return NaN;
	};
	const withinBucket = buckets.find((b) => Math.abs(b.le - withinSeconds) < 1e-9);
	return {
		count: total,
		p50Ms: quantile(0.5),
		p99Ms: quantile(0.99),
		within: withinBucket && total > 0 ? withinBucket.count / total : NaN,
		withinSeconds
	};
}

/** The sum of a metric's samples over all its label sets. */
export function total(samples: Samples, metric: string): number {
	let sum = 0;
	for (const [key, value] of samples) {
		if (key === metric || key.startsWith(`${metric}{`)) sum += value;
	}
	return sum;
}

/** Waits until `metric` stops moving for `quietMs` (background work such as feeds has settled). */
export async function waitQuiet(
	httpUrl: string,
	metric: string,
	quietMs = 600,
	timeoutMs = 15_000
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let last = NaN;
	let stableSince = Date.now();
	while (Date.now() < deadline) {
		const value = total(await readMetrics(httpUrl), metric);
		if (value !== last) {
			last = value;
			stableSince = Date.now();
		} else if (Date.now() - stableSince >= quietMs) return;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/** Samples of several processes added up (counters and histogram buckets sum across processes). */
export function mergeSamples(list: Samples[]): Samples {
	const merged: Samples = new Map();
	for (const samples of list) {
		for (const [key, value] of samples) merged.set(key, (merged.get(key) ?? 0) + value);
	}
	return merged;
}
