// Where the sync-server is: `GET /api/config` → {syncUrl}. The answer is kept in localStorage so
// documents can still connect after an offline start once the network is back.
import { resolve } from '$app/paths';
import { readStored, writeStored } from './device-storage';

const CACHE_KEY = 'dispatch:sync-url';

let known: string | null = null;
let pending: Promise<string> | null = null;

function isSyncUrl(value: unknown): value is string {
	return typeof value === 'string' && /^wss?:\/\/[^\s]+$/.test(value);
}

function cached(): string | null {
	const value = readStored(CACHE_KEY);
	return isSyncUrl(value) ? value : null;
}

async function fetchSyncUrl(): Promise<string> {
	try {
		const response = await fetch(resolve('/api/config'), { cache: 'no-store' });
		if (!response.ok) throw new Error(`GET /api/config answered ${response.status}`);
		const body = (await response.json()) as { syncUrl?: unknown } | null;
		if (!isSyncUrl(body?.syncUrl)) throw new Error('GET /api/config gave no usable syncUrl');
		writeStored(CACHE_KEY, body.syncUrl);
		return body.syncUrl;
	} catch (error) {
		const fallback = cached();
		if (fallback !== null) return fallback;
		throw error;
	}
}

/**
 * The sync-server's WebSocket URL. Asks the web app once per page load and remembers the answer;
 * falls back to the last known URL when offline. Rejects only when neither is available (callers
 * retry later).
 */
export function getSyncUrl(): Promise<string> {
	if (known !== null) return Promise.resolve(known);
	pending ??= fetchSyncUrl().then(
		(url) => {
			known = url;
			return url;
		},
		(error: unknown) => {
			pending = null;
			throw error;
		}
	);
	return pending;
}
