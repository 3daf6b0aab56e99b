// How the core runs its extensions' hooks: in registration order, the first principal and the
// first refusal win, leases and commits are combined, exactly one extension stores documents.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Connection } from './connection.ts';
import type { SyncDocument } from './document.ts';
import { ExtensionChain } from './extension-chain.ts';
import type { SyncExtension } from './extension.ts';
import { Refusal } from './refusal.ts';
import type { Logger, Principal, UpdateVerdict } from './types.ts';

const logged: string[] = [];
const log: Logger = {
	debug: () => undefined,
	info: () => undefined,
	warn: () => undefined,
	error: (_fields, message) => void logged.push(message)
};
const request = {} as IncomingMessage;
const doc = {} as SyncDocument;
const conn = {} as Connection<Principal>;
const decoded = Y.decodeUpdate(Y.encodeStateAsUpdate(new Y.Doc()));
const chain = (...extensions: Array<SyncExtension<Principal>>) =>
	new ExtensionChain<Principal>(extensions, log);

describe('ExtensionChain', () => {
	it('takes the first principal, and refuses with 401 when nobody knows the request', async () => {
		const none: SyncExtension<Principal> = { name: 'none', authenticate: async () => undefined };
		const alice: SyncExtension<Principal> = { name: 'a', authenticate: async () => ({ id: 'a' }) };
		const bob: SyncExtension<Principal> = { name: 'b', authenticate: async () => ({ id: 'b' }) };
		await expect(chain(none, alice, bob).authenticate(request)).resolves.toEqual({ id: 'a' });
		await expect(chain(none).authenticate(request)).rejects.toMatchObject({ status: 401 });
	});

	it('runs every room policy; a refusal releases the leases taken before it', async () => {
		const released: string[] = [];
		const lease = (name: string): SyncExtension<Principal> => ({
			name,
			authorizeRoom: async () => ({ release: () => void released.push(name) })
		});
		const refuse: SyncExtension<Principal> = {
			name: 'no',
			authorizeRoom: async () => {
				throw new Refusal(403, 'forbidden_room', 'no');
			}
		};
		await expect(
			chain(lease('quota'), refuse, lease('never')).authorizeRoom({ id: 'x' }, 'd', request)
		).rejects.toBeInstanceOf(Refusal);
		expect(released).toEqual(['quota']);
		const both = await chain(lease('a'), lease('b')).authorizeRoom({ id: 'x' }, 'd', request);
		both.release();
		expect(released).toEqual(['quota', 'a', 'b']);
	});

	it('validates in order: the first refusal wins, accepted commits run in order', () => {
		const commits: string[] = [];
		const accept = (name: string, changes = true): SyncExtension<Principal> => ({
			name,
			validateUpdate: (): UpdateVerdict => ({
				ok: true,
				changes,
				commit: () => void commits.push(name)
			})
		});
		const refuse = (reason: string): SyncExtension<Principal> => ({
			name: reason,
			validateUpdate: () => ({ ok: false, reason })
		});
		const update = new Uint8Array();
		expect(
			chain(accept('a'), refuse('first'), refuse('second')).validateUpdate(
				doc,
				update,
				conn,
				decoded
			)
		).toEqual({ ok: false, reason: 'first' });
		const verdict = chain(accept('a', false), accept('b')).validateUpdate(
			doc,
			update,
			conn,
			decoded
		);
		expect(verdict).toMatchObject({ ok: true, changes: true });
		if (verdict.ok) verdict.commit?.();
		expect(commits).toEqual(['a', 'b']);
		expect(chain().validateUpdate(doc, update, conn, decoded)).toMatchObject({ ok: true });
	});

	it('has exactly one extension that loads and stores', () => {
		const store: SyncExtension<Principal> = {
			name: 's',
			load: async () => null,
			store: async () => undefined
		};
		expect(() => chain(store, { ...store, name: 't' })).toThrow(/exactly one/);
		expect(() => chain({ name: 'half', load: async () => null })).toThrow(/exactly one/);
	});

	it('runs beforeUnload everywhere before any unload, and logs a failure without stopping', async () => {
		const order: string[] = [];
		logged.length = 0;
		await chain(
			{ name: 'p', unload: async () => void order.push('p.unload') },
			{
				name: 'f',
				beforeUnload: async () => {
					order.push('f.before');
					throw new Error('boom');
				}
			}
		).unload(doc);
		expect(order).toEqual(['f.before', 'p.unload']);
		expect(logged).toEqual(['beforeUnload failed']);
	});

	it('answers HTTP with the first extension that takes the request, else 404', async () => {
		const taken: string[] = [];
		const route = (name: string, takes: boolean): SyncExtension<Principal> => ({
			name,
			handleHttp: () => {
				taken.push(name);
				return takes;
			}
		});
		let status = 0;
		const response = {
			writeHead: (code: number) => (status = code),
			end: () => undefined
		} as unknown as ServerResponse;
		await chain(route('a', false), route('b', true), route('c', true)).handleHttp(
			request,
			response
		);
		expect(taken).toEqual(['a', 'b']);
		await chain(route('x', false)).handleHttp(request, response);
		expect(status).toBe(404);
	});

	it('asks whether a document is open elsewhere, and tells every extension when it is opened there', () => {
		const told: string[] = [];
		const none = chain({ name: 'plain' });
		expect(none.watchedElsewhere('feed/open')).toBe(false);
		const shared = chain(
			{ name: 'no', watchedElsewhere: () => false },
			{ name: 'yes', watchedElsewhere: (name) => name === 'feed/open' },
			{ name: 'feeds', joinedElsewhere: (name) => void told.push(`feeds ${name}`) },
			{
				name: 'broken',
				joinedElsewhere: () => {
					throw new Error('boom');
				}
			},
			{ name: 'last', joinedElsewhere: (name) => void told.push(`last ${name}`) }
		);
		expect(shared.watchedElsewhere('feed/open')).toBe(true);
		expect(shared.watchedElsewhere('feed/admin')).toBe(false);
		logged.length = 0;
		shared.joinedElsewhere('feed/open');
		expect(told).toEqual(['feeds feed/open', 'last feed/open']);
		expect(logged).toEqual(['joinedElsewhere failed']);
	});

	it('runs every left hook, one that throws logged', () => {
		const left: string[] = [];
		logged.length = 0;
		chain(
			{ name: 'a', left: () => void left.push('a') },
			{
				name: 'b',
				left: () => {
					throw new Error('boom');
				}
			},
			{ name: 'c', left: () => void left.push('c') }
		).left(doc);
		expect(left).toEqual(['a', 'c']);
		expect(logged).toEqual(['left failed']);
	});
});
