// Placeholder: the order domain (status fold, permissions) is implemented in this folder.
export const ORDER_STATUSES = [
	'pending',
	'accepted',
	'preparing',
	'out_for_delivery',
	'delivered',
	'cancelled'
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
