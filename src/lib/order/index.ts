// The order domain, shared by the browser (UI) and the sync-server (validation). Pure, no I/O.
export * from './schema.ts';
export * from './parse.ts';
export * from './order-doc.ts';
export * from './status.ts';
export * from './permissions.ts';
export * from './admission.ts';
export * from './feed.ts';
export * from './validate-update.ts';
export * from './client-owners.ts';
export type { DecodedUpdate } from './update-parts.ts';
export * from './order-cache.ts';
export * from './partners.ts';
export * from './state.ts';
