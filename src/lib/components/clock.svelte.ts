// A shared, coarse "now" for relative ages: reading `clock.now` inside a template or effect
// subscribes to a ticker that runs only while something is listening.
import { createSubscriber } from 'svelte/reactivity';

const TICK_MS = 15_000;

let current = Date.now();

const subscribe = createSubscriber((update) => {
	current = Date.now();
	update();
	const timer = setInterval(() => {
		current = Date.now();
		update();
	}, TICK_MS);
	return () => clearInterval(timer);
});

export const clock = {
	get now(): number {
		subscribe();
		// On the server (no effect to subscribe from) every render gets the real time.
		return typeof window === 'undefined' ? Date.now() : current;
	}
};
