// Privacy on a shared device: what one account leaves in this browser (order documents and feeds
// in IndexedDB, pages in the service worker's cache, sync bookkeeping and the cart in
// localStorage) is deleted when that account is no longer the one signed in — after logout, or
// when someone else signs in. Runs on every page load (the root layout), so it also covers a
// session that ended without the logout button.
import { LOCAL_DB_PREFIX, localDbPrefix } from '$lib/sync/local-store';
import { pendingChanges } from '$lib/sync/pending.svelte';
import { PAGES_CACHE } from './options';

/** Who the data in this browser belongs to ('' for nobody signed in). */
const OWNER_KEY = 'dispatch:owner';
/** Not personal: kept across accounts. */
const SHARED_KEYS = new Set([OWNER_KEY, 'dispatch:sync-url', 'dispatch:home']);
const CART_KEY = 'dispatch:cart';

/** Deletes every account's local data except `keepUserId`'s (all of it for null). */
async function wipeLocalData({
	keepUserId,
	keepCart
}: {
	keepUserId: string | null;
	keepCart: boolean;
}): Promise<void> {
	const keepDb = keepUserId === null ? null : localDbPrefix(keepUserId);
	const keepKey = (key: string) =>
		SHARED_KEYS.has(key) ||
		(keepCart && key === CART_KEY) ||
		(keepUserId !== null &&
			(key === `dispatch:pending/${keepUserId}` ||
				key === `dispatch:checkout-queue/${keepUserId}` ||
				key.startsWith(`dispatch:server-sv/${keepUserId}/`) ||
				key.startsWith(`dispatch:own-clients/${keepUserId}/`) ||
				key.startsWith(`dispatch:synced/${keepUserId}/`) ||
				key.startsWith(`dispatch:rebase/${keepUserId}/`)));

	try {
		for (const key of Object.keys(localStorage)) {
			// (`dispatch/…`: writes carried over a refused copy, as an older version named them)
			if ((key.startsWith('dispatch:') && !keepKey(key)) || key.startsWith('dispatch/')) {
				localStorage.removeItem(key);
			}
		}
	} catch {
		/* storage disabled: nothing stored */
	}

	const work: Promise<unknown>[] = [];
	if ('caches' in window) work.push(caches.delete(PAGES_CACHE).catch(() => false));
	if (typeof indexedDB !== 'undefined' && 'databases' in indexedDB) {
		const names = await indexedDB.databases().catch(() => []);
		for (const { name } of names) {
			if (!name?.startsWith(LOCAL_DB_PREFIX)) continue;
			if (keepDb !== null && name.startsWith(keepDb)) continue;
			work.push(deleteDatabase(name));
		}
	}
	pendingChanges.reset();
	await Promise.all(work);
}

function deleteDatabase(name: string): Promise<void> {
	// A copy still open in this page (closing a few seconds after its page went) makes the delete
	// wait ("blocked") until it closes; it completes then, so only success and failure end it.
	return new Promise((resolve) => {
		const request = indexedDB.deleteDatabase(name);
		request.onsuccess = () => resolve();
		request.onerror = () => resolve();
	});
}

/**
 * Makes `userId` (null: nobody) the owner of this browser's local data, deleting the previous
 * owner's. A guest's cart is kept when they sign in; a signed-in person's cart is not kept for
 * the next one.
 */
export async function claimLocalData(userId: string | null): Promise<void> {
	let owner: string | null;
	try {
		owner = localStorage.getItem(OWNER_KEY);
	} catch {
		owner = null;
	}
	const current = userId ?? '';
	if (owner === current) return;
	await wipeLocalData({ keepUserId: userId, keepCart: !owner });
	try {
		localStorage.setItem(OWNER_KEY, current);
	} catch {
		/* storage disabled */
	}
}
