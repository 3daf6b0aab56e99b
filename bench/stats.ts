// Small statistics helpers: percentiles of samples, medians over repetitions.

/** The p-th percentiles (0–100) by nearest rank; NaN for no samples. */
export function percentiles(samples: ArrayLike<number>, ps: readonly number[]): number[] {
	if (samples.length === 0) return ps.map(() => NaN);
	const sorted = Float64Array.from(samples).sort();
	return ps.map((p) => {
		const rank = Math.ceil((p / 100) * sorted.length);
		return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
	});
}

/** Median of the finite values; NaN if there are none. */
export function median(values: readonly number[]): number {
	const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
	if (finite.length === 0) return NaN;
	const mid = finite.length >> 1;
	return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}
