// What this device knows about the server's copy of each document, kept per user in localStorage:
// - what the server confirmed holding durably of the person's own writes (a state vector of the
//   client ids in own-clients.ts), so the count of unconfirmed changes is right after an offline
//   reload, before any socket opens;
// - the count of unconfirmed changes per document, so the header can show the total even for
//   documents no page has open, and so those documents can be opened in the background to sync
//   when the network returns (see BackgroundSync in sync-pending.ts).
// Every key starts with `dispatch:`, so logout can delete them all (src/lib/pwa/local-data.ts).
import { readStored, writeStored } from './device-storage';
import { decodeStoredVector, encodeStoredVector, type StateVector } from './state-vector';

const serverVectorKey = (userId: string, docName: string) =>
	`dispatch:server-sv/${userId}/${docName}`;
const pendingKey = (userId: string) => `dispatch:pending/${userId}`;

export function loadServerVector(userId: string, docName: string): StateVector {
	return decodeStoredVector(readStored(serverVectorKey(userId, docName)));
}

export function storeServerVector(userId: string, docName: string, vector: StateVector): void {
	writeStored(serverVectorKey(userId, docName), encodeStoredVector(vector));
}

function parseCounts(value: string | null): Record<string, number> {
	if (!value) return {};
	try {
		const parsed: unknown = JSON.parse(value);
		if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
		const counts: Record<string, number> = {};
		for (const [docName, count] of Object.entries(parsed)) {
			if (typeof count === 'number' && Number.isInteger(count) && count > 0)
				counts[docName] = count;
		}
		return counts;
	} catch {
		return {};
	}
}

class PendingChanges {
	/** userId → docName → unconfirmed changes (only documents with some). */
	private counts: Record<string, Record<string, number>> = $state({});

	/** For reads (also inside `$derived`, so it must not write state). */
	private of(userId: string): Record<string, number> {
		return this.counts[userId] ?? parseCounts(readStored(pendingKey(userId)));
	}

	set(userId: string, docName: string, count: number): void {
		this.counts[userId] ??= parseCounts(readStored(pendingKey(userId)));
		const counts = this.counts[userId];
		if ((counts[docName] ?? 0) === count) return;
		if (count > 0) counts[docName] = count;
		else delete counts[docName];
		writeStored(pendingKey(userId), Object.keys(counts).length > 0 ? JSON.stringify(counts) : null);
	}

	/** All unconfirmed changes of this user on this device. */
	total(userId: string): number {
		return Object.values(this.of(userId)).reduce((sum, count) => sum + count, 0);
	}

	/** The documents holding unconfirmed changes. */
	docNames(userId: string): string[] {
		return Object.keys(this.of(userId));
	}

	/** Forgets everything in memory (logout deletes the stored copy). */
	reset(): void {
		this.counts = {};
	}
}

export const pendingChanges = new PendingChanges();
