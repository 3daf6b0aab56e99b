// localStorage for what the sync layer keeps on the device (keys starting with `dispatch:` are
// deleted at logout: src/lib/pwa/local-data.ts). Storage that is disabled reads as empty and a
// write that fails is skipped: the page still has what it knows in memory.

export function readStored(key: string): string | null {
	try {
		return localStorage.getItem(key);
	} catch {
		return null; // storage disabled
	}
}

/** Stores `value` under `key`, or removes the key for null. */
export function writeStored(key: string, value: string | null): void {
	try {
		if (value === null) localStorage.removeItem(key);
		else localStorage.setItem(key, value);
	} catch {
		/* storage full or disabled */
	}
}
