import type * as Y from 'yjs';
import type { Collections } from '../../src/lib/server/db.ts';
import type { SyncDocument } from '../core/document.ts';
import type { SyncHooks } from '../core/types.ts';
import type { MongoPersistence } from '../persistence/mongo-persistence.ts';
import { createAuthenticator, type AuthCache } from './authenticate.ts';
import type { DispatchPrincipal } from './principal.ts';
import type { Quotas } from './quotas.ts';
import { createRoomAuthorizer, type OrderFacts } from './room-policy.ts';
import type { TtlCache } from './ttl-cache.ts';
import type { WritePolicy } from './write-policy.ts';

/** Called after every change to a document; the feeds (issue 4) plug in here. */
export type DocumentChangeListener = (
	docName: string,
	doc: Y.Doc,
	update: Uint8Array,
	origin: unknown
) => void;

/** Dispatch's meaning for the generic core's hooks. */
export function createDispatchHooks(options: {
	collections: Collections;
	allowedOrigins: readonly string[];
	quotas: Quotas;
	/** Short-lived caches of the upgrade's lookups (see authenticate.ts and room-policy.ts). */
	authCache: AuthCache;
	orderFacts: TtlCache<string, OrderFacts>;
	writePolicy: WritePolicy;
	persistence: MongoPersistence;
	onChange?: DocumentChangeListener;
	/** Called after a document's stored state was loaded (the feeds reconcile orders here). */
	onLoaded?: (document: SyncDocument) => void;
	/** Called when a socket joined a document (a feed catches up with what it was owed). */
	onJoined?: (document: SyncDocument) => void;
	/** Called before an idle document is flushed and released (the feeds take what it owes). */
	onUnloading?: (document: SyncDocument) => Promise<void>;
}): SyncHooks<DispatchPrincipal> {
	const { persistence, writePolicy } = options;
	return {
		authenticate: createAuthenticator({ ...options, cache: options.authCache }),
		authorizeRoom: createRoomAuthorizer({ ...options, facts: options.orderFacts }),
		load: (name) => persistence.load(name),
		loaded: (document) => {
			writePolicy.loaded(document);
			options.onLoaded?.(document);
		},
		joined: (document) => options.onJoined?.(document),
		validateUpdate: (document, update, connection, decoded) =>
			writePolicy.validate(document, update, connection, decoded),
		store: (name, update) => persistence.store(name, update),
		unload: async (document) => {
			await options.onUnloading?.(document);
			await persistence.unload(document.name);
		},
		changed: (name, doc, update, origin) => options.onChange?.(name, doc, update, origin),
		// presence shows who someone is as the server knows them, not as their client claims
		stampAwareness: (connection, state) => {
			const { actor } = connection.principal;
			const claimed = state.user;
			const extra =
				typeof claimed === 'object' && claimed !== null && !Array.isArray(claimed) ? claimed : {};
			return {
				...state,
				user: { ...extra, id: actor.userId, name: actor.name ?? '', role: actor.role }
			};
		}
	};
}
