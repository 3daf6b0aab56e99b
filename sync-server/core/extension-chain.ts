// How the server calls its extensions' hooks: each hook's implementations are collected once, in
// registration order, so the hot paths (validation, changes) loop over exactly those that have it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as Y from 'yjs';
import type { Connection } from './connection.ts';
import type { SyncDocument } from './document.ts';
import type { SyncExtension } from './extension.ts';
import { Refusal } from './refusal.ts';
import type { Logger, Principal, RoomLease, UpdateVerdict } from './types.ts';

type Hook<P extends Principal, K extends keyof SyncExtension<P>> = NonNullable<SyncExtension<P>[K]>;

const ACCEPTED: UpdateVerdict = Object.freeze({ ok: true, changes: true });

export class ExtensionChain<P extends Principal> {
	private readonly authenticators: Array<SyncExtension<P>>;
	private readonly roomPolicies: Array<SyncExtension<P>>;
	private readonly validators: Array<SyncExtension<P>>;
	private readonly onChanged: Array<SyncExtension<P>>;
	private readonly stampers: Array<SyncExtension<P>>;
	private readonly watchers: Array<SyncExtension<P>>;
	private readonly storage: SyncExtension<P> | null;

	constructor(
		readonly extensions: ReadonlyArray<SyncExtension<P>>,
		private readonly log: Logger
	) {
		const having = (hook: keyof SyncExtension<P>) =>
			extensions.filter((extension) => typeof extension[hook] === 'function');
		this.authenticators = having('authenticate');
		this.roomPolicies = having('authorizeRoom');
		this.validators = having('validateUpdate');
		this.onChanged = having('changed');
		this.stampers = having('stampAwareness');
		this.watchers = having('watchedElsewhere');
		const storage = extensions.filter((e) => e.load !== undefined || e.store !== undefined);
		if (storage.length > 1 || (storage[0] && (!storage[0].load || !storage[0].store))) {
			throw new Error('exactly one extension loads and stores documents, with both hooks');
		}
		this.storage = storage[0] ?? null;
	}

	async authenticate(request: IncomingMessage): Promise<P> {
		for (const extension of this.authenticators) {
			const principal = await extension.authenticate!(request);
			if (principal !== undefined) return principal;
		}
		throw new Refusal(401, 'unauthenticated', 'sign in first');
	}

	/** Every room policy in order; one lease that releases all the leases they took. */
	async authorizeRoom(principal: P, docName: string, request: IncomingMessage): Promise<RoomLease> {
		const leases: RoomLease[] = [];
		try {
			for (const extension of this.roomPolicies) {
				const lease = await extension.authorizeRoom!(principal, docName, request);
				if (lease) leases.push(lease);
			}
		} catch (error) {
			for (const lease of leases) lease.release();
			throw error;
		}
		return { release: () => leases.forEach((lease) => lease.release()) };
	}

	load(docName: string): Promise<Uint8Array | null> {
		return this.storage ? this.storage.load!(docName) : Promise.resolve(null);
	}

	store(docName: string, update: Uint8Array): Promise<void> {
		return this.storage ? this.storage.store!(docName, update) : Promise.resolve();
	}

	loaded(document: SyncDocument): void {
		for (const extension of this.extensions) extension.loaded?.(document);
	}

	left(document: SyncDocument): void {
		for (const extension of this.extensions) {
			try {
				extension.left?.(document);
			} catch (error) {
				this.log.error(
					{ err: error, extension: extension.name, doc: document.name },
					'left failed'
				);
			}
		}
	}

	watchedElsewhere(docName: string): boolean {
		return this.watchers.some((extension) => extension.watchedElsewhere!(docName));
	}

	joinedElsewhere(docName: string): void {
		for (const extension of this.extensions) {
			try {
				extension.joinedElsewhere?.(docName);
			} catch (error) {
				this.log.error(
					{ err: error, extension: extension.name, doc: docName },
					'joinedElsewhere failed'
				);
			}
		}
	}

	joined(document: SyncDocument): void {
		for (const extension of this.extensions) {
			try {
				extension.joined?.(document);
			} catch (error) {
				this.log.error(
					{ err: error, doc: document.name, extension: extension.name },
					'joined failed'
				);
			}
		}
	}

	/** The first refusal wins; the accepted verdicts' commits run in order. */
	validateUpdate(
		document: SyncDocument,
		update: Uint8Array,
		connection: Connection<P>,
		decoded: ReturnType<typeof Y.decodeUpdate>
	): UpdateVerdict {
		if (this.validators.length === 1) {
			return this.validators[0]!.validateUpdate!(document, update, connection, decoded);
		}
		let changes = false;
		const commits: Array<() => void> = [];
		for (const extension of this.validators) {
			const verdict = extension.validateUpdate!(document, update, connection, decoded);
			if (!verdict.ok) return verdict;
			if (verdict.changes !== false) changes = true;
			if (verdict.commit) commits.push(verdict.commit);
		}
		if (this.validators.length === 0) return ACCEPTED;
		if (commits.length === 0) return { ok: true, changes };
		return { ok: true, changes, commit: () => commits.forEach((commit) => commit()) };
	}

	changed(docName: string, doc: Y.Doc, update: Uint8Array, origin: unknown): void {
		for (const extension of this.onChanged) {
			try {
				extension.changed!(docName, doc, update, origin);
			} catch (error) {
				this.log.error({ err: error, doc: docName, extension: extension.name }, 'changed failed');
			}
		}
	}

	get stampsAwareness(): boolean {
		return this.stampers.length > 0;
	}

	stampAwareness(
		connection: Connection<P>,
		state: Record<string, unknown>
	): Record<string, unknown> {
		let stamped = state;
		for (const extension of this.stampers) stamped = extension.stampAwareness!(connection, stamped);
		return stamped;
	}

	/** Every extension's `beforeUnload`, then every `unload`; a failure is logged, not fatal. */
	async unload(document: SyncDocument): Promise<void> {
		for (const hook of ['beforeUnload', 'unload'] as const) {
			for (const extension of this.extensions) {
				try {
					await extension[hook]?.(document);
				} catch (error) {
					this.log.error(
						{ err: error, doc: document.name, extension: extension.name },
						`${hook} failed`
					);
				}
			}
		}
	}

	/** The first extension that answers the request; 404 JSON if none does. */
	async handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
		for (const extension of this.extensions) {
			if (extension.handleHttp && (await extension.handleHttp(request, response))) return;
		}
		response.writeHead(404, { 'content-type': 'application/json' });
		response.end(JSON.stringify({ error: { code: 'not_found', message: 'no such route' } }));
	}

	async start(): Promise<void> {
		await this.each('start');
	}

	async stopping(): Promise<void> {
		await this.each('stopping');
	}

	async stopped(): Promise<void> {
		await this.each('stopped');
	}

	private async each(hook: 'start' | 'stopping' | 'stopped'): Promise<void> {
		for (const extension of this.extensions) {
			const run: Hook<P, typeof hook> | undefined = extension[hook];
			if (run === undefined) continue;
			try {
				await run.call(extension);
			} catch (error) {
				if (hook === 'start') throw error;
				this.log.error({ err: error, extension: extension.name }, `${hook} failed`);
			}
		}
	}
}
