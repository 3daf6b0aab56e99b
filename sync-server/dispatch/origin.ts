/**
 * Cookie-authenticated WebSockets can be opened by any web page the user visits (cross-site
 * WebSocket hijacking), so the upgrade's `Origin` must be one of ours. Browsers always send it;
 * a request without one is refused too.
 */
export function originAllowed(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
	if (!origin) return false;
	try {
		return allowed.has(new URL(origin).origin);
	} catch {
		return false;
	}
}
