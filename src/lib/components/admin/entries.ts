// The server's first render of a live list comes from the `orders` index (so the page shows real
// orders before the feed has synced, and works without JavaScript); this turns an index row, as
// the order service returns it, into the feed's entry shape so one component renders both.
import type { FeedEntry } from '$lib/order';
import type { OrderSummary } from '$lib/server/orders/types';

export function entryFromSummary(summary: OrderSummary): FeedEntry {
	return {
		id: summary.id,
		status: summary.status,
		total: summary.total,
		itemCount: summary.itemCount,
		items: summary.items,
		city: summary.city,
		createdAt: summary.createdAt,
		updatedAt: summary.deliveredAt ?? summary.cancelledAt ?? summary.updatedAt,
		customerId: summary.customerId,
		customerName: summary.customerName,
		partnerId: summary.partnerId,
		partnerName: summary.partnerName,
		conflicts: summary.conflicts,
		rating: summary.rating?.stars ?? null
	};
}
