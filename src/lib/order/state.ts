// An order as the server rendered it: the web app's first render of an order page gets the
// document's whole state from the sync-server (a Yjs update, base64) and reads it here, on the
// server and again in the browser, so the page hydrates to what it showed; the live document
// takes over as it loads (newerView decides which of the two to show meanwhile).
import { fromBase64 } from 'lib0/buffer';
import * as Y from 'yjs';
import { readOrder } from './order-doc.ts';
import type { OrderView } from './schema.ts';

/** The order in `state`, or null for none or anything unreadable. */
export function viewFromState(state: string | null | undefined): OrderView | null {
	if (!state) return null;
	try {
		const doc = new Y.Doc();
		Y.applyUpdate(doc, fromBase64(state));
		const view = readOrder(doc);
		doc.destroy();
		return view;
	} catch {
		return null;
	}
}

/** How much of the order's life a view holds (the document only ever grows). */
function progressOf(view: OrderView): number {
	return view.events.length * 4 + (view.assignment ? 2 : 0) + (view.rating ? 1 : 0);
}

/**
 * The newer of two views of the same order. An order document only grows (events are appended,
 * the assignment and the rating are written once), so the one that holds more is the newer; on a
 * tie the first (the live document) wins.
 */
export function newerView(live: OrderView | null, rendered: OrderView | null): OrderView | null {
	if (live === null) return rendered;
	if (rendered === null) return live;
	return progressOf(rendered) > progressOf(live) ? rendered : live;
}
