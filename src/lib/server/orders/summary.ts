// The JSON shape of an `orders` index row, shared by the API and the pages.
import { shopCurrency } from '../../catalog/money.ts';
import { orderDocName } from '../../order/index.ts';
import type { OrderIndexDoc } from '../../shared/db.ts';
import type { OrderSummary } from './types.ts';

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

export function toOrderSummary(row: OrderIndexDoc): OrderSummary {
	return {
		id: row._id,
		docName: orderDocName(row._id),
		customerId: row.customerId,
		customerName: row.customerName,
		partnerId: row.partnerId ?? null,
		partnerName: row.partnerName ?? null,
		status: row.status,
		total: row.total,
		currency: row.currency ?? shopCurrency(),
		itemCount: row.itemCount,
		items: row.items ?? [],
		city: row.city,
		paymentMethod: row.paymentMethod ?? null,
		createdAt: row.createdAt.toISOString(),
		updatedAt: row.updatedAt.toISOString(),
		claimedAt: iso(row.claimedAt),
		deliveredAt: iso(row.deliveredAt),
		cancelledAt: iso(row.cancelledAt),
		rating: row.rating ?? null,
		conflicts: row.conflicts ?? 0
	};
}
