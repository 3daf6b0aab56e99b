// Reactive views of documents for components: `useOrder` and `useFeed` open the document in an
// effect (so only in the browser), keep a parsed view up to date, and release it on cleanup.
import { untrack } from 'svelte';
import type * as Y from 'yjs';
import {
	feedDocName,
	orderDocName,
	newerView,
	readFeed,
	readOrder,
	readPartners,
	viewFromState,
	type FeedEntry,
	type OrderView,
	type PartnerEntry
} from '$lib/order';
import {
	openDoc,
	type ConnectionStatus,
	type DocHandle,
	type SyncProblem
} from './synced-doc.svelte';

const NONE: ReadonlySet<string> = new Set();

/** What every live view shares: the handle and its connection state. */
export class LiveDoc {
	handle: DocHandle | null = $state.raw(null);

	get status(): ConnectionStatus {
		return this.handle?.status ?? 'connecting';
	}
	get synced(): boolean {
		return this.handle?.synced ?? false;
	}
	get syncing(): boolean {
		return this.handle?.syncing ?? false;
	}
	get loadedLocal(): boolean {
		return this.handle?.loadedLocal ?? false;
	}
	get error(): SyncProblem | null {
		return this.handle?.error ?? null;
	}
	/** The person's steps in this order still on this device only, by event id. */
	get unsentEvents(): ReadonlySet<string> {
		return this.handle?.unsentEvents ?? NONE;
	}
	/**
	 * The document is the best copy this page can show: synced with the server now, or, while the
	 * server cannot be reached, the copy on this device from an earlier sync. A page rendered by
	 * the server shows its own data until then; offline that page is a copy the service worker
	 * kept, never newer than the document (which synced whenever a page showing it was online).
	 */
	get trusted(): boolean {
		const handle = this.handle;
		if (handle === null) return false;
		return (
			handle.synced || (handle.status === 'offline' && handle.loadedLocal && handle.syncedBefore)
		);
	}
	/** Nothing to show yet: neither the local copy nor the server has answered (and not offline). */
	get loading(): boolean {
		const handle = this.handle;
		return (
			handle === null || (!handle.loadedLocal && !handle.synced && handle.status !== 'offline')
		);
	}
	/** The current document, for writes (`appendEvent`, `writeRating`); null before it opens. */
	get doc(): Y.Doc | null {
		return this.handle?.doc ?? null;
	}
}

/**
 * Opens `docName()` whenever it changes (null closes it) and calls `read` on every change.
 * Must be called while a component initialises (it creates an effect).
 */
function follow(
	live: LiveDoc,
	params: () => { userId: string; docName: string } | null,
	read: (doc: Y.Doc | null) => void,
	showsErrors = false
): void {
	$effect(() => {
		const current = params();
		return untrack(() => {
			if (current === null) {
				live.handle = null;
				read(null);
				return;
			}
			const handle = openDoc(current.docName, { userId: current.userId, showsErrors });
			live.handle = handle;
			read(handle.doc);
			const stop = handle.observe(read);
			return () => {
				stop();
				handle.release();
			};
		});
	});
}

export class LiveOrder extends LiveDoc {
	/** The order as the document says, or null until its meta is known. */
	view: OrderView | null = $state.raw(null);
	readonly #rendered: () => string | null | undefined;
	/**
	 * What a page shows: the document as the server rendered it (`rendered`, its state) until the
	 * live one (from this device or the server) holds as much. Writes always go to the live one
	 * (`doc`, `view`).
	 */
	readonly shown: OrderView | null = $derived.by(() => newerView(this.view, this.#renderedView));
	/** Decoded once per rendered state, not on every change of the live document. */
	readonly #renderedView: OrderView | null = $derived.by(() => viewFromState(this.#rendered()));

	constructor(rendered: () => string | null | undefined = () => null) {
		super();
		this.#rendered = rendered;
	}
}

/**
 * A live order: `useOrder(() => ({ userId: data.user.id, orderId: data.order.id }))`, with the
 * state the server rendered the page from as `rendered` (see `LiveOrder.shown`).
 */
export function useOrder(
	params: () => { userId: string; orderId: string } | null,
	rendered?: () => string | null | undefined
): LiveOrder {
	const live = new LiveOrder(rendered);
	follow(
		live,
		() => {
			const p = params();
			return p === null ? null : { userId: p.userId, docName: orderDocName(p.orderId) };
		},
		(doc) => {
			live.view = doc === null ? null : readOrder(doc);
		},
		true // every order page shows `live.error` where the order is
	);
	return live;
}

export class LiveFeed extends LiveDoc {
	/** The feed's orders, newest first. */
	entries: FeedEntry[] = $state.raw([]);
	/** `feed/admin` only: the partners, online first. */
	partners: PartnerEntry[] = $state.raw([]);
}

/**
 * A live feed by document name (`feedDocName('customer', userId)`, `'feed/open'`, …):
 * `useFeed(() => ({ userId: data.user.id, docName: feedDocName('admin') }))`.
 */
export function useFeed(params: () => { userId: string; docName: string } | null): LiveFeed {
	const live = new LiveFeed();
	follow(live, params, (doc) => {
		live.entries = doc === null ? [] : readFeed(doc);
		live.partners = doc === null ? [] : readPartners(doc);
	});
	return live;
}

export { feedDocName };
