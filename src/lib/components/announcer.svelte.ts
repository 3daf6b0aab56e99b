// One pair of screen-reader live regions for the whole app (rendered by Announcer.svelte in the
// root layout). Components call `announce()` for changes that are not otherwise spoken, e.g.
// "Added to cart" or "Order is out for delivery".

export type Politeness = 'polite' | 'assertive';

export const announcements = $state({ polite: '', assertive: '' });

let clearTimer: ReturnType<typeof setTimeout> | undefined;

export function announce(message: string, politeness: Politeness = 'polite'): void {
	// Emptying the region first makes screen readers repeat a message identical to the last one.
	announcements[politeness] = '';
	queueMicrotask(() => {
		announcements[politeness] = message;
	});
	clearTimeout(clearTimer);
	clearTimer = setTimeout(() => {
		announcements.polite = '';
		announcements.assertive = '';
	}, 7_000);
}
