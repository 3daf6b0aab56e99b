// The customer's view of where an order is: the lifecycle as a row of steps (done, current,
// still to come), each with when and by whom, and a headline for the current status. Pure.
import {
	LIFECYCLE,
	statusLabel,
	type OrderEvent,
	type OrderStatus,
	type OrderView
} from '$lib/order';
import { authorOf } from '$lib/components/timeline';

type StepState = 'done' | 'current' | 'upcoming' | 'cancelled';

export interface ProgressStep {
	status: OrderStatus;
	label: string;
	state: StepState;
	/** ISO time the step happened; null while it is still to come. */
	at: string | null;
	/** "you", "Sam (partner)", "an admin"; null while still to come. */
	who: string | null;
	note: string | null;
}

/** "you" for the viewer's own steps, otherwise the author as the document names them. */
export function whoDid(event: Pick<OrderEvent, 'by' | 'role'>, view: OrderView, viewerId: string) {
	return event.by === viewerId ? 'you' : authorOf(event, view);
}

function placedBy(view: OrderView, viewerId: string): string {
	return view.meta.customerId === viewerId
		? 'you'
		: `${view.meta.customerName || 'the customer'} (customer)`;
}

export function progressSteps(view: OrderView, viewerId: string): ProgressStep[] {
	// The step that moved the order into each status (the fold applies each status at most once).
	const applied = new Map(
		view.fold.steps.filter((s) => s.applied).map((s) => [s.statusAfter, s.event])
	);
	const steps: ProgressStep[] = [];
	for (const status of LIFECYCLE) {
		const event = applied.get(status);
		const reached = status === 'pending' || event !== undefined;
		if (!reached && view.status === 'cancelled') break;
		steps.push({
			status,
			label: status === 'pending' ? 'Placed' : statusLabel(status),
			state: reached ? 'done' : 'upcoming',
			at: status === 'pending' ? view.meta.createdAt : (event?.at ?? null),
			who:
				status === 'pending'
					? placedBy(view, viewerId)
					: event
						? whoDid(event, view, viewerId)
						: null,
			note: event?.note ?? null
		});
	}
	const cancelled = applied.get('cancelled');
	if (cancelled) {
		steps.push({
			status: 'cancelled',
			label: 'Cancelled',
			state: 'cancelled',
			at: cancelled.at,
			who: whoDid(cancelled, view, viewerId),
			note: cancelled.note ?? null
		});
	} else {
		const last = steps.findLast((s) => s.state === 'done');
		if (last && view.status !== 'delivered') last.state = 'current';
	}
	return steps;
}

export interface Headline {
	title: string;
	detail: string;
}

/** What the top of the order page says for the current status. */
export function headline(
	status: OrderStatus,
	partnerName: string | null,
	cancelledBy: string | null = null
): Headline {
	const partner = partnerName || 'Your delivery partner';
	switch (status) {
		case 'pending':
			return {
				title: 'Waiting for a delivery partner',
				detail: 'Your order has been sent to partners nearby. You can still cancel it.'
			};
		case 'accepted':
			return { title: `${partner} accepted your order`, detail: 'It will be prepared shortly.' };
		case 'preparing':
			return { title: 'Your order is being prepared', detail: `${partner} will bring it to you.` };
		case 'out_for_delivery':
			return { title: `${partner} is on the way`, detail: 'Keep your phone close.' };
		case 'delivered':
			return {
				title: partnerName ? `${partnerName} delivered your order` : 'Your order was delivered',
				detail: 'Enjoy your meal!'
			};
		case 'cancelled':
			return {
				title: 'Order cancelled',
				detail: cancelledBy ? `Cancelled by ${cancelledBy}.` : 'This order will not be delivered.'
			};
	}
}
