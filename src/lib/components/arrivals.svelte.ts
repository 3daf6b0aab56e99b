// Spots orders that appear in a live list after the person first saw it, so the page can mark
// them "New" and announce them. The first list seen (server render or first sync) is the baseline.
import { SvelteSet } from 'svelte/reactivity';

export class Arrivals {
	/** Ids that arrived after the baseline, for the "New" badge. */
	readonly fresh = new SvelteSet<string>();
	// Bookkeeping only (nothing renders it), so a plain Set.
	private known: Set<string> | null = null;

	/** Feed the current ids; returns those seen for the first time (empty for the baseline). */
	see(ids: readonly string[]): string[] {
		if (this.known === null) {
			// eslint-disable-next-line svelte/prefer-svelte-reactivity
			this.known = new Set(ids);
			return [];
		}
		const added = ids.filter((id) => !this.known!.has(id));
		for (const id of added) {
			this.known.add(id);
			this.fresh.add(id);
		}
		return added;
	}
}
