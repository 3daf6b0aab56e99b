// What the sync layer tells people when the sync-server closes a socket on purpose.
import { parseDocName } from '$lib/order';

/** "#K3F9QZ": the short order reference used across the apps. */
export function orderRef(orderId: string): string {
	return `#${orderId.slice(0, 6).toUpperCase()}`;
}

/**
 * "order #K3F9QZ", "your order list", …
 * @internal for tests: messages.test.ts
 */
export function describeDoc(docName: string): string {
	const name = parseDocName(docName);
	if (name === null) return docName;
	if (name.kind === 'order') return `order ${orderRef(name.orderId)}`;
	switch (name.feed) {
		case 'admin':
			return 'the live board';
		case 'open':
			return 'the open orders list';
		case 'partner':
			return 'your deliveries list';
		case 'customer':
			return 'your order list';
	}
}

function cleanReason(reason: string): string {
	const trimmed = reason.trim().replace(/[.\s]+$/, '');
	return trimmed === '' ? 'the server did not accept it' : trimmed;
}

/** After a refusal (close 4403/4413/1009): the local copy was dropped and the server's shown. */
export function refusalMessage(docName: string, reason: string): string {
	return `Your change to ${describeDoc(docName)} was not accepted: ${cleanReason(reason)}. What you see now is what the server has.`;
}

/**
 * After a refusal, the person's own changes that the order no longer admits were not written
 * again: "Your “Cancel order” on order #K3F9QZ did not apply: a partner had already accepted the
 * order."
 */
export function droppedMessage(
	docName: string,
	dropped: ReadonlyArray<{ what: string; reason: string }>
): string {
	const doc = describeDoc(docName);
	if (dropped.length === 1) {
		const [{ what, reason }] = dropped as [{ what: string; reason: string }];
		return `Your “${what}” on ${doc} did not apply: ${cleanReason(reason)}.`;
	}
	const parts = dropped.map(({ what, reason }) => `“${what}”, because ${cleanReason(reason)}`);
	return `Your changes to ${doc} did not apply: ${parts.join('; ')}.`;
}

/** After a 44xx close (the session ended or access was withdrawn): no automatic reconnect. */
export function sessionEndedMessage(docName: string): string {
	return `Live updates for ${describeDoc(docName)} stopped because your session ended. Log in again to continue.`;
}
