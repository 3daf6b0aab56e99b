// Whether the component is running in the browser yet. Live pages render the server's data first;
// loading placeholders and connection states only make sense once JavaScript runs (without it
// they would spin forever).
import { onMount } from 'svelte';

export function useMounted(): { readonly current: boolean } {
	const state = $state({ current: false });
	onMount(() => {
		state.current = true;
	});
	return state;
}
