// Which Yjs client id writes for whom, in a loaded order document: nobody may extend another
// writer's items, and the server's own client ids are reserved for the server.
import * as Y from 'yjs';
import { parseEventValue, readOrderHeadCached } from './order-cache.ts';
import { ROOT_EVENTS, ROOT_RATING } from './schema.ts';
import { isRejection, placementInDoc, REF_ANY, REF_DELETED, rootNamesOf } from './update-parts.ts';

/** Yjs client id → the user who writes with it, or SERVER_OWNER. */
export type ClientOwners = Map<number, string>;
export const SERVER_OWNER = 'server';

/**
 * Rebuild the owners of the client ids in a loaded order document: event items belong to the
 * event's author, rating items to the order's customer, everything else (meta, assignment, the
 * server's own client id, anything unattributable) to the server. A client id whose items point
 * to different writers also goes to the server, so nobody may extend it.
 */
export function collectClientOwners(doc: Y.Doc): ClientOwners {
	const owners: ClientOwners = new Map();
	const customerId = readOrderHeadCached(doc)?.meta.customerId ?? null;
	const rootNames = rootNamesOf(doc);
	const claim = (client: number, owner: string) => {
		const previous = owners.get(client);
		if (previous === undefined) owners.set(client, owner);
		else if (previous !== owner) owners.set(client, SERVER_OWNER);
	};
	for (const [client, structs] of doc.store.clients) {
		for (const struct of structs) {
			if (!(struct instanceof Y.Item) || struct.content.getRef() === REF_DELETED) continue;
			const placement = placementInDoc(struct, rootNames);
			const root = isRejection(placement) ? null : placement.root;
			if (root === ROOT_EVENTS && struct.content.getRef() === REF_ANY) {
				for (const value of (struct.content as Y.ContentAny).arr) {
					const by = parseEventValue(value)?.by;
					claim(client, by ?? SERVER_OWNER);
				}
			} else if (root === ROOT_RATING && customerId !== null) {
				claim(client, customerId);
			} else {
				claim(client, SERVER_OWNER);
			}
		}
		if (!owners.has(client)) owners.set(client, SERVER_OWNER);
	}
	owners.set(doc.clientID, SERVER_OWNER);
	return owners;
}
