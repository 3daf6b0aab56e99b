import {
	collectClientOwners,
	parseDocName,
	SERVER_OWNER,
	validateClientUpdate,
	validateFeedUpdate,
	type ClientOwners,
	type DecodedUpdate
} from '../../src/lib/order/index.ts';
import type { Connection } from '../core/connection.ts';
import type { SyncDocument } from '../core/document.ts';
import type { SyncExtension } from '../core/extension.ts';
import type { UpdateVerdict } from '../core/types.ts';
import type { DispatchPrincipal } from './principal.ts';

const CHANGES: UpdateVerdict = Object.freeze({ ok: true, changes: true });
const NO_CHANGES: UpdateVerdict = Object.freeze({ ok: true, changes: false });
/** The shared verdict for an accepted update that names no new client ids. */
const accepted = (changes: boolean): UpdateVerdict => (changes ? CHANGES : NO_CHANGES);

/**
 * Write validation with the domain's rules. Each loaded order document keeps which user writes
 * with which Yjs client id (rebuilt from the content at load), so nobody can extend another
 * writer's items, and the server's own client id is reserved for the server.
 */
export class WritePolicy implements SyncExtension<DispatchPrincipal> {
	readonly name = 'write-policy';
	private readonly owners = new WeakMap<SyncDocument, ClientOwners>();

	loaded(document: SyncDocument): void {
		if (parseDocName(document.name)?.kind === 'order') {
			this.owners.set(document, collectClientOwners(document.doc));
		}
	}

	validateUpdate(
		document: SyncDocument,
		update: Uint8Array,
		connection: Connection<DispatchPrincipal>,
		decoded?: DecodedUpdate
	): UpdateVerdict {
		const name = parseDocName(document.name);
		if (name === null) return { ok: false, reason: 'unknown document' };
		if (name.kind === 'feed') {
			const result = validateFeedUpdate(document.doc, update, decoded);
			return result.ok ? accepted(result.changes) : { ok: false, reason: result.reason };
		}
		const owners = this.ownersOf(document);
		const result = validateClientUpdate(
			document.doc,
			update,
			{ actor: connection.principal.actor, clientOwners: owners, now: Date.now() },
			decoded
		);
		if (!result.ok) {
			return result.code === 'missing-dependency'
				? { ok: false, reason: result.reason, resync: true }
				: { ok: false, reason: result.reason };
		}
		if (result.newOwners.length === 0) return accepted(result.changes);
		return {
			ok: true,
			changes: result.changes,
			commit: () => {
				for (const [clientId, userId] of result.newOwners) owners.set(clientId, userId);
			}
		};
	}

	/**
	 * Before the server writes into a document: make sure its Y.Doc writes with a client id that
	 * is the server's (Yjs picks a new one if a client ever used the same number).
	 */
	claimServerClientId(document: SyncDocument): void {
		const owners = this.ownersOf(document);
		while ((owners.get(document.doc.clientID) ?? SERVER_OWNER) !== SERVER_OWNER) {
			document.doc.clientID = Math.floor(Math.random() * 2 ** 32);
		}
		owners.set(document.doc.clientID, SERVER_OWNER);
	}

	private ownersOf(document: SyncDocument): ClientOwners {
		let owners = this.owners.get(document);
		if (!owners) {
			owners = collectClientOwners(document.doc);
			this.owners.set(document, owners);
		}
		return owners;
	}
}
