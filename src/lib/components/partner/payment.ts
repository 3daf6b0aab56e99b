import type { PaymentMethod } from '$lib/order';

/** What each payment method is, for people: every one of them is paid when the order arrives. */
export const PAYMENT_LABELS: Record<PaymentMethod, string> = {
	cod: 'Cash on delivery',
	card: 'Card on delivery',
	upi: 'UPI on delivery'
};

/** A line under each choice at checkout. */
export const PAYMENT_HINTS: Record<PaymentMethod, string> = {
	cod: 'Pay the partner in cash when your food arrives.',
	card: 'Pay by card at the door: the partner brings a card reader.',
	upi: 'Pay with any UPI app at the door: the partner shows a QR code.'
};
