// Registers the service worker (browser only) and exposes its state to the update prompt.
// With `registerType: 'prompt'` a new version installs in the background and waits; the person
// chooses when to reload into it, so a half-filled form is never lost to an automatic reload.
import { registerSW } from 'virtual:pwa-register';

/** Look for a new version this often while a page stays open. */
const UPDATE_CHECK_MS = 60 * 60 * 1000;

class AppUpdate {
	/** A new version is installed and waiting for a reload. */
	needRefresh = $state(false);
	/** The app shell is cached: the app opens offline from now on. */
	offlineReady = $state(false);
	private update: ((reload?: boolean) => Promise<void>) | null = null;
	private started = false;

	start(): void {
		if (this.started || !('serviceWorker' in navigator)) return;
		this.started = true;
		this.update = registerSW({
			immediate: true,
			onNeedRefresh: () => (this.needRefresh = true),
			onOfflineReady: () => (this.offlineReady = true),
			onRegisteredSW: (_url, registration) => {
				if (!registration) return;
				setInterval(() => {
					if (navigator.onLine) void registration.update().catch(() => {});
				}, UPDATE_CHECK_MS);
			}
		});
	}

	/** Activates the waiting version; the page reloads once it has taken over. */
	async reload(): Promise<void> {
		// workbox-window reloads by itself only when this page was already controlled when it
		// registered; on the very first visit it would not, so reload on the switch here.
		navigator.serviceWorker.addEventListener('controllerchange', () => window.location.reload(), {
			once: true
		});
		await this.update?.(true);
	}

	dismiss(): void {
		this.needRefresh = false;
	}
}

export const appUpdate = new AppUpdate();
