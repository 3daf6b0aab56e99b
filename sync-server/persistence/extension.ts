// Persistence's place among the sync-server's extensions: documents load from and store to
// MongoDB; a loaded document is handed to the storage, which compacts it from that live copy; an
// idle document is flushed and compacted before it is released; a graceful stop writes
// everything still pending.
import type { SyncExtension } from '../core/extension.ts';
import type { Principal } from '../core/types.ts';
import type { MongoPersistence } from './mongo-persistence.ts';

export function persistence<P extends Principal>(storage: MongoPersistence): SyncExtension<P> {
	return {
		name: 'persistence',
		load: (docName) => storage.load(docName),
		store: (docName, update) => storage.store(docName, update),
		loaded: (document) => storage.loaded(document.name, document.doc),
		unload: (document) => storage.unload(document.name),
		stopping: () => storage.windDown(),
		stopped: () => storage.close()
	};
}
