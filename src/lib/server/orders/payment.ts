// Payment methods as the API names them in its errors (the apps label them in
// src/lib/components/partner/payment.ts). Every method is paid when the order arrives.
import type { PaymentMethod } from '../../order/schema.ts';

export const PAYMENT_LABELS_FOR_API: Record<PaymentMethod, string> = {
	cod: 'cash on delivery',
	card: 'card on delivery',
	upi: 'UPI on delivery'
};
