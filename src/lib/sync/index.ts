// The client sync layer: every live page reads its documents through this module.
//
//   openDoc(docName, { userId }) → DocHandle   (synced-doc.svelte.ts, under useOrder and useFeed)
//     A ref-counted handle on one Y.Doc: kept on this device in IndexedDB (database
//     `dispatch/<userId>/<docName>`, so other accounts on the device never see it) and synced with
//     the sync-server by y-websocket. Reactive fields (Svelte 5 `$state`): `status`
//     ('connecting' | 'online' | 'offline'), `synced` (first server sync done), `syncing`,
//     `loadedLocal` (the device copy is loaded), `error`; plus `doc`, `observe(listener)`,
//     `dismissError()` and `release()`.
//   useOrder(() => ({ userId, orderId }))  → LiveOrder { view: OrderView | null, …state }
//   useFeed(() => ({ userId, docName }))   → LiveFeed { entries: FeedEntry[], partners, …state }
//     For components: open in an effect, re-read on every change, release on cleanup. Call them
//     while the component initialises. Write through `live.doc` with the domain's writers
//     (`appendEvent`, `writeRating`); changes are stored locally first and synced when online.
//   getSyncUrl() (config.ts)
//     Where the sync-server is (`GET /api/config`, cached for offline starts).
//
// Reconnects: y-websocket's own reconnect is turned off (`shouldReconnect`) and every reconnect is
// scheduled here with exponential backoff and jitter (backoff.ts), and at once (with a little
// jitter) when the browser reports the network is back.
// Refusals: on close code 4403 (the server refused a write), 4413 or 1009 (too big) the document's
// local copy is deleted from memory and IndexedDB, a fresh copy syncs from the server, and the
// person's own events and rating are written again where still admitted (rebase.ts); what is not is
// dropped and the person is told why through `error` and a toast. On 4401 (the session ended) the
// handle stops reconnecting and says so in `error`.
export { orderRef } from './messages';
export { connectionSummary } from './synced-doc.svelte';
export { feedDocName, useFeed, useOrder, LiveDoc } from './live.svelte';
