import { parseDocName, roomAccess, type OrderFacts } from '../../src/lib/order/index.ts';
import type { Collections } from '../../src/lib/shared/db.ts';
import { batchedFindById } from '../../src/lib/shared/find-by-id.ts';
import type { SyncExtension } from '../core/extension.ts';
import { Refusal } from '../core/refusal.ts';
import type { RoomLease } from '../core/types.ts';
import type { DispatchPrincipal } from './principal.ts';
import type { Quotas } from './quotas.ts';
import { TtlCache } from './ttl-cache.ts';

/**
 * Who may open which room: the domain's `roomAccess` with the order's people looked up in the
 * `orders` index (the claim decides `partnerId` there first), then the per-role quotas.
 *
 * The order's people are cached for a few seconds (`facts`), shared by the sockets of one order
 * that connect together. Only a grant is ever decided on cached facts: a refusal is decided
 * again on a fresh read, so a partner who has just won a claim, or the customer of an order
 * created a moment ago, is never refused because of the cache. `customerId` never changes;
 * `partnerId` goes from null to the winner of the claim, and back to null only when the web app
 * rolls a claim back because the sync-server could not write it into the document (the claim
 * was never answered as won).
 */
export function roomPolicy(options: {
	collections: Collections;
	quotas: Quotas;
	facts: TtlCache<string, OrderFacts>;
}): SyncExtension<DispatchPrincipal> {
	const { collections, facts } = options;
	const readPeople = batchedFindById(collections.orders, {
		projection: { customerId: 1, partnerId: 1 }
	});

	async function readFacts(orderId: string): Promise<OrderFacts | null> {
		const row = await readPeople(orderId);
		return row ? { customerId: row.customerId, partnerId: row.partnerId ?? null } : null;
	}

	async function authorizeRoom(principal: DispatchPrincipal, docName: string): Promise<RoomLease> {
		const parsed = parseDocName(docName);
		if (parsed === null) throw new Refusal(403, 'forbidden_room', 'unknown document');
		let access;
		if (parsed.kind === 'feed') access = roomAccess(principal.actor, docName, null);
		else {
			const orderId = parsed.orderId;
			const known = await facts.get(orderId, () => readFacts(orderId));
			access = roomAccess(principal.actor, docName, known);
			// (a shared lookup may have started before this request: "not found" is re-read too)
			if (!access.ok) {
				facts.delete(orderId);
				access = roomAccess(principal.actor, docName, await readFacts(orderId));
			}
		}
		if (!access.ok) throw new Refusal(403, 'forbidden_room', access.reason);
		return options.quotas.admit(principal.actor.userId, principal.actor.role, docName);
	}

	return { name: 'room-policy', authorizeRoom };
}
