// Names of the IndexedDB databases that keep documents on this device. One database per user and
// document, so another account on the same browser never opens (or even names) someone else's
// copy, and logout can find and delete everything of one user by prefix.

export const LOCAL_DB_PREFIX = 'dispatch/';

/** `dispatch/<userId>/` — every local database of this user starts with it. */
export function localDbPrefix(userId: string): string {
	return `${LOCAL_DB_PREFIX}${userId}/`;
}

/** `dispatch/<userId>/<docName>`, e.g. `dispatch/u1/order/abc`. */
export function localDbName(userId: string, docName: string): string {
	return `${localDbPrefix(userId)}${docName}`;
}
