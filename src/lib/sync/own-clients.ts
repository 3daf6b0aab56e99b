// The Yjs client ids this device wrote each document with, per user (localStorage): the person's
// own changes are exactly the content of these ids (state-vector.ts `unconfirmedChanges`). A
// Y.Doc draws a new client id every time it is created, so after a reload the content of the
// previous copy (loaded from IndexedDB) is still the person's through this list. Ids whose
// content the server has all of are dropped again (synced-doc.svelte.ts). Keys start with
// `dispatch:`, so logout deletes them (src/lib/pwa/local-data.ts).
import { readStored, writeStored } from './device-storage';

const ownClientsKey = (userId: string, docName: string) =>
	`dispatch:own-clients/${userId}/${docName}`;

/** The client ids this device wrote `docName` with (still worth counting). */
export function loadOwnClients(userId: string, docName: string): Set<number> {
	const value = readStored(ownClientsKey(userId, docName));
	if (!value) return new Set();
	try {
		const parsed: unknown = JSON.parse(value);
		if (!Array.isArray(parsed)) return new Set();
		return new Set(parsed.filter((id): id is number => Number.isSafeInteger(id) && id >= 0));
	} catch {
		return new Set();
	}
}

/**
 * Adds and removes client ids in the stored set (read again first: another tab of the same person
 * may have added its own meanwhile).
 */
export function updateOwnClients(
	userId: string,
	docName: string,
	change: { add?: number[]; remove?: number[] }
): void {
	const clients = loadOwnClients(userId, docName);
	for (const id of change.add ?? []) clients.add(id);
	for (const id of change.remove ?? []) clients.delete(id);
	writeStored(
		ownClientsKey(userId, docName),
		clients.size > 0 ? JSON.stringify([...clients]) : null
	);
}
