// Orders placed with no network: kept on this device (localStorage, per user) and sent by
// themselves when the network returns, with the Idempotency-Key the checkout would have used (the
// cart's key), so a send that reached the server but whose answer was lost never becomes a second
// order. The root layout runs `useCheckoutQueue` on every page; the checkout page adds to it.
import { untrack } from 'svelte';
import { resolve } from '$app/paths';
import { cart } from '$lib/cart/cart.svelte';
import { showToast } from '$lib/components/toast.svelte';
import { orderRef } from '$lib/sync/messages';

export interface QueuedOrderBody {
	items: Array<{ productId: string; quantity: number }>;
	address: { street: string; city: string; postcode: string; notes?: string };
	phone: string;
	paymentMethod: string;
}

interface QueuedOrder {
	/** The Idempotency-Key it is sent with. */
	key: string;
	body: QueuedOrderBody;
	queuedAt: string;
}

/** How often a non-empty queue is retried while the page stays open (besides `online`). */
const RETRY_MS = 15_000;

const storageKey = (userId: string) => `dispatch:checkout-queue/${userId}`;

function isQueuedOrder(value: unknown): value is QueuedOrder {
	if (value === null || typeof value !== 'object') return false;
	const order = value as Partial<QueuedOrder>;
	return typeof order.key === 'string' && typeof order.body === 'object' && order.body !== null;
}

class CheckoutQueue {
	/** The signed-in user's queued orders. */
	orders: QueuedOrder[] = $state([]);
	/** The last queued order the server accepted (the checkout page moves on to it). */
	placed: { key: string; orderId: string } | null = $state(null);
	private userId: string | null = null;
	private sending = false;

	load(userId: string | null): void {
		this.userId = userId;
		this.orders = userId === null ? [] : this.read(userId);
	}

	/** What the order queued under `key` holds (the checkout shows it to be edited), if any. */
	bodyOf(key: string): QueuedOrderBody | null {
		return this.orders.find((order) => order.key === key)?.body ?? null;
	}

	add(order: QueuedOrder): void {
		if (this.userId === null) return;
		this.orders = [...this.orders.filter((o) => o.key !== order.key), order];
		this.save();
	}

	remove(key: string): void {
		this.orders = this.orders.filter((o) => o.key !== key);
		this.save();
	}

	/** Sends what is queued, oldest first; stops at the first network failure (retried later). */
	async flush(): Promise<void> {
		if (this.sending || this.userId === null || this.orders.length === 0) return;
		this.sending = true;
		try {
			for (const order of [...this.orders]) {
				const outcome = await send(order);
				if (outcome.kind === 'retry') return;
				this.remove(order.key);
				if (outcome.kind === 'placed') {
					if (cart.ready && cart.checkoutKey === order.key) cart.clear();
					this.placed = { key: order.key, orderId: outcome.orderId };
					showToast(`You’re back online: order ${orderRef(outcome.orderId)} was sent.`, {
						kind: 'ok',
						durationMs: 8_000
					});
				} else {
					showToast(`The order saved while you were offline was not placed: ${outcome.message}`, {
						kind: 'error'
					});
				}
			}
		} finally {
			this.sending = false;
		}
	}

	private read(userId: string): QueuedOrder[] {
		try {
			const parsed: unknown = JSON.parse(localStorage.getItem(storageKey(userId)) ?? '[]');
			return Array.isArray(parsed) ? parsed.filter(isQueuedOrder) : [];
		} catch {
			return [];
		}
	}

	private save(): void {
		if (this.userId === null) return;
		try {
			const key = storageKey(this.userId);
			if (this.orders.length === 0) localStorage.removeItem(key);
			else localStorage.setItem(key, JSON.stringify($state.snapshot(this.orders)));
		} catch {
			/* storage disabled: the queue lasts as long as this page */
		}
	}
}

type SendOutcome =
	{ kind: 'placed'; orderId: string } | { kind: 'refused'; message: string } | { kind: 'retry' };

async function send(order: QueuedOrder): Promise<SendOutcome> {
	let response: Response;
	try {
		response = await fetch(resolve('/api/orders'), {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'idempotency-key': order.key },
			body: JSON.stringify(order.body)
		});
	} catch {
		return { kind: 'retry' }; // still offline
	}
	const body = (await response.json().catch(() => null)) as {
		id?: unknown;
		error?: { message?: unknown };
	} | null;
	if (response.status === 201 && typeof body?.id === 'string') {
		return { kind: 'placed', orderId: body.id };
	}
	// Server trouble or no session right now: keep it and try again later.
	if (response.status >= 500 || response.status === 401 || response.status === 429) {
		return { kind: 'retry' };
	}
	const message =
		typeof body?.error?.message === 'string' ? body.error.message : `error ${response.status}`;
	return { kind: 'refused', message };
}

export const checkoutQueue = new CheckoutQueue();

/** Loads the user's queue and sends it whenever the network is (or comes) back. */
export function useCheckoutQueue(userId: () => string | null): void {
	$effect(() => {
		const id = userId();
		const flush = () => {
			if (navigator.onLine) void checkoutQueue.flush();
		};
		untrack(() => {
			checkoutQueue.load(id);
			flush();
		});
		window.addEventListener('online', flush);
		const timer = setInterval(flush, RETRY_MS);
		return () => {
			window.removeEventListener('online', flush);
			clearInterval(timer);
		};
	});
}

/**
 * The order API body from the checkout form (field names are the API's paths), or which
 * required field is missing: with no network the server cannot say so until later.
 */
export function queueableOrder(
	form: FormData,
	items: QueuedOrderBody['items']
): { ok: true; body: QueuedOrderBody } | { ok: false; message: string } {
	const text = (name: string) => {
		const value = form.get(name);
		return typeof value === 'string' ? value.trim() : '';
	};
	const required: Array<[string, string]> = [
		['address.street', 'street and number'],
		['address.city', 'city'],
		['address.postcode', 'postcode'],
		['phone', 'phone']
	];
	const missing = required.filter(([name]) => text(name) === '').map(([, label]) => label);
	if (missing.length > 0) return { ok: false, message: `Fill in your ${missing.join(', ')}.` };
	if (items.length === 0) return { ok: false, message: 'Your cart is empty.' };
	const notes = text('address.notes');
	return {
		ok: true,
		body: {
			items,
			address: {
				street: text('address.street'),
				city: text('address.city'),
				postcode: text('address.postcode'),
				...(notes ? { notes } : {})
			},
			phone: text('phone'),
			paymentMethod: text('paymentMethod') || 'cod'
		}
	};
}
