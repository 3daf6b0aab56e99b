// Short-lived messages in the corner of the screen ("Added to cart", "Order taken by someone
// else"). Rendered by Toaster.svelte in the root layout.

export type ToastKind = 'info' | 'ok' | 'warn' | 'error';

export interface Toast {
	id: number;
	kind: ToastKind;
	message: string;
}

export const toasts: Toast[] = $state([]);

let nextId = 1;

export function dismissToast(id: number): void {
	const index = toasts.findIndex((t) => t.id === id);
	if (index !== -1) toasts.splice(index, 1);
}

/** Clears every toast but errors: what they said may no longer be true (the page moved on). */
export function dismissPassingToasts(): void {
	for (let i = toasts.length - 1; i >= 0; i--) if (toasts[i]!.kind !== 'error') toasts.splice(i, 1);
}

/** Shows a toast; errors stay until dismissed, the rest fade after `durationMs`. */
export function showToast(
	message: string,
	{ kind = 'info', durationMs = 4_000 }: { kind?: ToastKind; durationMs?: number } = {}
): number {
	const id = nextId++;
	toasts.push({ id, kind, message });
	if (toasts.length > 4) toasts.shift();
	if (kind !== 'error') setTimeout(() => dismissToast(id), durationMs);
	return id;
}
