import { parseDocName, roomAccess } from '../../src/lib/order/index.ts';
import type { Collections } from '../../src/lib/server/db.ts';
import { Refusal } from '../core/refusal.ts';
import type { RoomLease } from '../core/types.ts';
import type { DispatchPrincipal } from './principal.ts';
import type { Quotas } from './quotas.ts';

/**
 * Who may open which room: the domain's `roomAccess` with the order's people looked up in the
 * `orders` index (the claim decides `partnerId` there first), then the per-role quotas.
 */
export function createRoomAuthorizer(options: { collections: Collections; quotas: Quotas }) {
	return async function authorizeRoom(
		principal: DispatchPrincipal,
		docName: string
	): Promise<RoomLease> {
		const parsed = parseDocName(docName);
		if (parsed === null) throw new Refusal(403, 'forbidden_room', 'unknown document');
		let facts: { customerId: string; partnerId: string | null } | null = null;
		if (parsed.kind === 'order') {
			const row = await options.collections.orders.findOne(
				{ _id: parsed.orderId },
				{ projection: { customerId: 1, partnerId: 1 } }
			);
			facts = row ? { customerId: row.customerId, partnerId: row.partnerId ?? null } : null;
		}
		const access = roomAccess(principal.actor, docName, facts);
		if (!access.ok) throw new Refusal(403, 'forbidden_room', access.reason);
		return options.quotas.admit(principal.actor.userId, principal.actor.role, docName);
	};
}
