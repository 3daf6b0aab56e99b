// Persistence's place among the sync-server's extensions: documents load from and store to
// MongoDB; an idle document is flushed and compacted before it is released (from the server's
// live copy when it is loaded); a graceful stop writes everything still pending.
import type { SyncExtension } from '../core/extension.ts';
import type { SyncServer } from '../core/server.ts';
import type { Principal } from '../core/types.ts';
import type { MongoPersistence } from './mongo-persistence.ts';

export function persistence<P extends Principal>(
	storage: MongoPersistence,
	server: SyncServer<P>
): SyncExtension<P> {
	storage.useLiveState((name) => server.currentState(name));
	return {
		name: 'persistence',
		load: (docName) => storage.load(docName),
		store: (docName, update) => storage.store(docName, update),
		unload: (document) => storage.unload(document.name),
		stopping: () => storage.windDown(),
		stopped: () => storage.close()
	};
}
