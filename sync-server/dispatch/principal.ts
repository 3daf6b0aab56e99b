import type { Actor } from '../../src/lib/order/index.ts';
import type { Principal } from '../core/types.ts';

/** The user behind a socket, as authenticated at the upgrade. */
export interface DispatchPrincipal extends Principal {
	/** The user id (the core logs it as `user`). */
	id: string;
	sessionId: string;
	actor: Actor;
}
