import type { PaymentMethod } from '$lib/order';

export const PAYMENT_LABELS: Record<PaymentMethod, string> = {
	cod: 'Cash on delivery',
	card: 'Card',
	upi: 'UPI'
};
