// Keeps documents with unconfirmed changes open, so those changes reach the server when the
// network returns even if no page shows them any more (the partner moved an order on offline,
// went back to the list and closed the order page). Each is released once the server has
// confirmed everything in it.
import { untrack } from 'svelte';
import { parseDocName } from '$lib/order';
import { pendingChanges } from './pending.svelte';
import { openDoc, type DocHandle } from './synced-doc.svelte';

const SWEEP_MS = 2_000;

/** Call while a component initialises (the root layout): `useBackgroundSync(() => user?.id)`. */
export function useBackgroundSync(userId: () => string | null | undefined): void {
	$effect(() => {
		const id = userId();
		if (!id) return;
		// Bookkeeping of this effect, not rendered: a plain Map.
		// eslint-disable-next-line svelte/prefer-svelte-reactivity
		const held = new Map<string, DocHandle>();
		const sweep = () => {
			for (const docName of pendingChanges.docNames(id)) {
				if (held.has(docName) || parseDocName(docName) === null) continue;
				held.set(docName, openDoc(docName, { userId: id }));
			}
			for (const [docName, handle] of held) {
				if (handle.loadedLocal && handle.synced && handle.pending === 0) {
					handle.release();
					held.delete(docName);
				}
			}
		};
		untrack(sweep);
		const timer = setInterval(sweep, SWEEP_MS);
		window.addEventListener('online', sweep);
		return () => {
			clearInterval(timer);
			window.removeEventListener('online', sweep);
			for (const handle of held.values()) handle.release();
		};
	});
}
