// Which Yjs client id writes for whom, rebuilt from a loaded document's content.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { collectClientOwners, SERVER_OWNER } from './client-owners.ts';
import { appendEvent, writeRating } from './order-doc.ts';
import { captureUpdate, eventBy, PEOPLE, replicaOf, serverDoc } from './test-fixtures.ts';

const DELIVERED = ['preparing', 'out_for_delivery', 'delivered'] as const;

/** Applies an update as the server would once it accepted it, recording its new client ids. */
function accept(server: Y.Doc, owners: Map<number, string>, update: Uint8Array, writer: string) {
	for (const [client] of Y.parseUpdateMeta(update).to) {
		if (client !== server.clientID && !owners.has(client)) owners.set(client, writer);
	}
	Y.applyUpdate(server, update);
}

describe('collectClientOwners', () => {
	it('attributes each client id to its writer, the server ids to the server', () => {
		const server = serverDoc({ claimed: true });
		const owners = collectClientOwners(server);
		expect(owners.get(server.clientID)).toBe(SERVER_OWNER);
		const partner = replicaOf(server);
		accept(
			server,
			owners,
			captureUpdate(partner, (d) => {
				for (const t of DELIVERED) appendEvent(d, eventBy('partner', t));
			}),
			PEOPLE.partner.userId
		);
		const customer = replicaOf(server);
		accept(
			server,
			owners,
			captureUpdate(customer, (d) => writeRating(d, { stars: 3, comment: '' })),
			PEOPLE.customer.userId
		);

		const rebuilt = collectClientOwners(replicaOf(server));
		expect(rebuilt.get(server.clientID)).toBe(SERVER_OWNER);
		expect(rebuilt.get(partner.clientID)).toBe('part1');
		expect(rebuilt.get(customer.clientID)).toBe('cust1');
	});

	it('gives a client id with several writers to the server', () => {
		const doc = serverDoc();
		const mixed = new Y.Doc();
		Y.applyUpdate(mixed, Y.encodeStateAsUpdate(doc));
		appendEvent(mixed, eventBy('admin', 'cancelled'));
		appendEvent(mixed, eventBy('customer', 'cancelled'));
		expect(collectClientOwners(replicaOf(mixed)).get(mixed.clientID)).toBe(SERVER_OWNER);
	});
});
