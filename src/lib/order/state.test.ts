import { toBase64 } from 'lib0/buffer';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendEvent, createEvent, readOrder } from './order-doc.ts';
import { newerView, viewFromState } from './state.ts';
import { PEOPLE, serverDoc } from './test-fixtures.ts';

const stateOf = (doc: Y.Doc) => toBase64(Y.encodeStateAsUpdate(doc));

describe('an order as the server rendered it', () => {
	it('reads the view from the whole state, and nothing from nothing or garbage', () => {
		const doc = serverDoc({ claimed: true });
		expect(viewFromState(stateOf(doc))).toEqual(readOrder(doc));
		expect(viewFromState(null)).toBeNull();
		expect(viewFromState('')).toBeNull();
		expect(viewFromState('not an update')).toBeNull();
	});

	it('shows the newer of the live document and the rendered state', () => {
		const doc = serverDoc({ claimed: true });
		const rendered = viewFromState(stateOf(doc))!;
		const older = readOrder(serverDoc({ claimed: false }))!;
		expect(newerView(older, rendered)).toBe(rendered); // a stale copy on the device
		appendEvent(doc, createEvent(PEOPLE.partner, 'preparing'));
		const live = readOrder(doc)!;
		expect(newerView(live, rendered)).toBe(live);
		expect(newerView(null, rendered)).toBe(rendered);
		expect(newerView(live, null)).toBe(live);
		// the same order, equally far: the live document
		expect(newerView(readOrder(doc)!, viewFromState(stateOf(doc)))).not.toBe(rendered);
	});
});
