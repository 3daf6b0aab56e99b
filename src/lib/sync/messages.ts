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

/** After a refusal (close 4403/4413/1009): the local copy was dropped and reloaded from the server. */
export function refusalMessage(docName: string, reason: string): string {
	return `Your change to ${describeDoc(docName)} was refused: ${cleanReason(reason)}. It was reloaded from the server.`;
}

/**
 * After a refusal, the person's own changes that the order no longer admits were not written
 * again: "Your “Cancel order” on order #K3F9QZ was not applied: a partner had already accepted the
 * order."
 */
export function droppedMessage(
	docName: string,
	dropped: ReadonlyArray<{ what: string; reason: string }>
): string {
	const parts = dropped.map(({ what, reason }) => `“${what}”: ${cleanReason(reason)}`);
	const noun = dropped.length === 1 ? 'change' : 'changes';
	return `Your ${noun} to ${describeDoc(docName)} could not be applied (${parts.join('; ')}). The order was reloaded from the server.`;
}

/** After a 44xx close (the session ended or access was withdrawn): no automatic reconnect. */
export function sessionEndedMessage(docName: string): string {
	return `Live updates for ${describeDoc(docName)} stopped because your session ended. Log in again to continue.`;
}
