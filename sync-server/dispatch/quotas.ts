import type { Role } from '../../src/lib/order/index.ts';
import { Refusal } from '../core/refusal.ts';
import type { RoomLease } from '../core/types.ts';

export type PerRole = Record<Role, number>;

interface Usage {
	connections: number;
	rooms: Map<string, number>;
}

/**
 * What the sync-server says at startup about the quotas' scope. The counts are kept in this
 * process's memory: each sync-server process admits a user up to the limits on its own, so with N
 * processes behind a load balancer a user can hold up to N times each limit.
 */
export const QUOTAS_PER_PROCESS =
	'quotas are per sync-server process: with N processes a user can hold up to N times these sockets and open documents';

/**
 * Open rooms (distinct documents) and sockets per user, with limits by role. A slot is taken at
 * the upgrade, before the document loads, and released when the socket closes (or the upgrade
 * fails), so concurrent upgrades cannot overshoot. The counts are this process's only
 * (`QUOTAS_PER_PROCESS`).
 */
export class Quotas {
	private readonly usage = new Map<string, Usage>();

	constructor(private readonly limits: { rooms: PerRole; connections: PerRole }) {}

	admit(userId: string, role: Role, docName: string): RoomLease {
		const usage = this.usage.get(userId) ?? { connections: 0, rooms: new Map<string, number>() };
		if (usage.connections >= this.limits.connections[role]) {
			throw new Refusal(403, 'connection_quota', 'too many connections');
		}
		const inRoom = usage.rooms.get(docName) ?? 0;
		if (inRoom === 0 && usage.rooms.size >= this.limits.rooms[role]) {
			throw new Refusal(403, 'room_quota', 'too many open documents');
		}
		usage.connections++;
		usage.rooms.set(docName, inRoom + 1);
		this.usage.set(userId, usage);
		let released = false;
		return {
			release: () => {
				if (released) return;
				released = true;
				usage.connections--;
				const left = (usage.rooms.get(docName) ?? 1) - 1;
				if (left > 0) usage.rooms.set(docName, left);
				else usage.rooms.delete(docName);
				if (usage.connections === 0 && this.usage.get(userId) === usage) this.usage.delete(userId);
			}
		};
	}

	/** For tests and metrics. */
	of(userId: string): { connections: number; rooms: number } {
		const usage = this.usage.get(userId);
		return { connections: usage?.connections ?? 0, rooms: usage?.rooms.size ?? 0 };
	}
}
