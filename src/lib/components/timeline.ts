// An order's history for people: a "Placed" row from the meta, then every event of the fold in
// document order, each with who wrote it and, if it did not apply where it landed, why.
import { statusLabel, type OrderEvent, type OrderView } from '$lib/order';

export interface TimelineRow {
	key: string;
	label: string;
	/** ISO time. */
	at: string;
	/** "Sam (partner)", "Casey (customer)", "an admin" */
	who: string;
	note: string | null;
	applied: boolean;
	conflict: string | null;
	/** The event's author, to tell "your step" from others' (null for the Placed row). */
	by: string | null;
	/** A cancel that applied: the order ends here (drawn as the customer's page draws it). */
	cancel: boolean;
}

/** Who wrote an event, named from what the document knows (customer and assigned partner). */
export function authorOf(event: Pick<OrderEvent, 'by' | 'role'>, view: OrderView): string {
	if (event.role === 'customer' && event.by === view.meta.customerId) {
		return `${view.meta.customerName || 'The customer'} (customer)`;
	}
	if (event.role === 'partner' && view.assignment?.partnerId === event.by) {
		return `${view.assignment.partnerName || 'The partner'} (partner)`;
	}
	if (event.role === 'admin') return 'an admin';
	return `a ${event.role}`;
}

export function timelineRows(view: OrderView): TimelineRow[] {
	const rows: TimelineRow[] = [
		{
			key: 'placed',
			label: 'Placed',
			at: view.meta.createdAt,
			who: `${view.meta.customerName || 'The customer'} (customer)`,
			note: null,
			applied: true,
			conflict: null,
			by: null,
			cancel: false
		}
	];
	for (const step of view.fold.steps) {
		rows.push({
			key: step.event.id,
			label: statusLabel(step.event.type),
			at: step.event.at,
			who: authorOf(step.event, view),
			note: step.event.note ?? null,
			applied: step.applied,
			conflict: step.conflict,
			by: step.event.by,
			cancel: step.applied && step.event.type === 'cancelled'
		});
	}
	return rows;
}
