// The shopping cart: kept in this browser's localStorage, so it survives reloads and is shared by
// the tabs of this browser (the `storage` event keeps them in step). It holds product ids and
// quantities plus a snapshot of name, price and image for display; the cart and checkout pages
// price it again from the current menu (pricing.ts) and the server prices the order itself.
import type { Product } from '$lib/catalog/types';
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES } from '$lib/order/schema';

export interface CartLine {
	productId: string;
	name: string;
	/** Minor units, when added. */
	unitPrice: number;
	image: string;
	quantity: number;
}

const CART_STORAGE_KEY = 'dispatch:cart';

interface StoredCart {
	v: 1;
	lines: CartLine[];
	/** Idempotency key of the next checkout; a new one whenever the cart changes. */
	checkoutKey: string;
}

// getRandomValues, unlike randomUUID, also works on plain-http origins (e.g. a LAN address).
function newCheckoutKey(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(16));
	return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function isLine(value: unknown): value is CartLine {
	if (typeof value !== 'object' || value === null) return false;
	const line = value as Record<string, unknown>;
	return (
		typeof line.productId === 'string' &&
		line.productId.length > 0 &&
		line.productId.length <= 64 &&
		typeof line.name === 'string' &&
		typeof line.image === 'string' &&
		Number.isSafeInteger(line.unitPrice) &&
		(line.unitPrice as number) >= 0 &&
		Number.isInteger(line.quantity) &&
		(line.quantity as number) >= 1 &&
		(line.quantity as number) <= MAX_LINE_QUANTITY
	);
}

/**
 * Reads a stored cart, dropping anything malformed (old versions, hand edits).
 * @internal for tests: cart.test.ts
 */
export function parseStoredCart(raw: string | null): StoredCart | null {
	if (raw === null) return null;
	try {
		const data = JSON.parse(raw) as Partial<StoredCart> | null;
		if (data?.v !== 1 || !Array.isArray(data.lines)) return null;
		const lines: CartLine[] = [];
		for (const line of data.lines) {
			if (!isLine(line) || lines.some((l) => l.productId === line.productId)) continue;
			const { productId, name, unitPrice, image, quantity } = line;
			lines.push({ productId, name, unitPrice, image, quantity });
		}
		const key =
			typeof data.checkoutKey === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(data.checkoutKey)
				? data.checkoutKey
				: newCheckoutKey();
		return { v: 1, lines: lines.slice(0, MAX_ORDER_LINES), checkoutKey: key };
	} catch {
		return null;
	}
}

type AddResult = 'added' | 'at_limit' | 'cart_full';

class Cart {
	lines: CartLine[] = $state([]);
	/** Loaded from storage (false during server rendering and before `init`). */
	ready = $state(false);
	checkoutKey = $state('');

	readonly count = $derived(this.lines.reduce((sum, line) => sum + line.quantity, 0));

	#initialised = false;

	/** Loads the stored cart once and follows other tabs; safe to call from every component. */
	init(): void {
		if (this.#initialised || typeof window === 'undefined') return;
		this.#initialised = true;
		this.#load();
		window.addEventListener('storage', (event) => {
			if (event.key === CART_STORAGE_KEY || event.key === null) this.#load();
		});
	}

	quantityOf(productId: string): number {
		return this.lines.find((line) => line.productId === productId)?.quantity ?? 0;
	}

	add(product: Product, quantity = 1): AddResult {
		const line = this.lines.find((l) => l.productId === product.id);
		if (line) {
			if (line.quantity >= MAX_LINE_QUANTITY) return 'at_limit';
			line.quantity = Math.min(MAX_LINE_QUANTITY, line.quantity + quantity);
			line.name = product.name;
			line.unitPrice = product.price;
			line.image = product.image;
		} else {
			if (this.lines.length >= MAX_ORDER_LINES) return 'cart_full';
			this.lines.push({
				productId: product.id,
				name: product.name,
				unitPrice: product.price,
				image: product.image,
				quantity: Math.min(MAX_LINE_QUANTITY, quantity)
			});
		}
		this.#changed();
		return 'added';
	}

	/** Sets a line's quantity (clamped to 1…max); 0 or less removes the line. */
	setQuantity(productId: string, quantity: number): void {
		if (!Number.isFinite(quantity)) return;
		if (quantity <= 0) return this.remove(productId);
		const line = this.lines.find((l) => l.productId === productId);
		if (!line) return;
		line.quantity = Math.min(MAX_LINE_QUANTITY, Math.max(1, Math.trunc(quantity)));
		this.#changed();
	}

	remove(productId: string): void {
		const index = this.lines.findIndex((l) => l.productId === productId);
		if (index === -1) return;
		this.lines.splice(index, 1);
		this.#changed();
	}

	/** Empties the cart, e.g. after the order was placed. */
	clear(): void {
		this.lines = [];
		this.#changed();
	}

	/** What the order API takes: `[{productId, quantity}]`. */
	orderLines(): Array<{ productId: string; quantity: number }> {
		return this.lines.map(({ productId, quantity }) => ({ productId, quantity }));
	}

	#changed(): void {
		// Any change makes it a different order, so a retried checkout needs a different key.
		this.checkoutKey = newCheckoutKey();
		this.#save();
	}

	#load(): void {
		let stored: StoredCart | null = null;
		try {
			stored = parseStoredCart(localStorage.getItem(CART_STORAGE_KEY));
		} catch {
			/* storage disabled: an in-memory cart for this page */
		}
		this.lines = stored?.lines ?? [];
		this.checkoutKey = stored?.checkoutKey ?? newCheckoutKey();
		this.ready = true;
	}

	#save(): void {
		const data: StoredCart = {
			v: 1,
			lines: $state.snapshot(this.lines),
			checkoutKey: this.checkoutKey
		};
		try {
			localStorage.setItem(CART_STORAGE_KEY, JSON.stringify(data));
		} catch {
			/* storage full or disabled: the cart still works until the page closes */
		}
	}
}

/** The browser's cart. Call `cart.init()` (in an effect) before reading it. */
export const cart = new Cart();
