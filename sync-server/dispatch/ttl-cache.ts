/**
 * A small in-process cache for the upgrade's lookups (sessions, users, order facts): entries
 * live `ttlMs`, at most `maxEntries` are kept (the oldest insertion goes first), and concurrent
 * misses for one key share a single lookup. Only what `get`'s loader returns as non-null is
 * cached, so a refusal (unknown session, missing order) is always read afresh.
 */
export class TtlCache<K, V> {
	private readonly entries = new Map<K, { value: V; expiresAt: number }>();
	private readonly inFlight = new Map<K, Promise<V | null>>();
	/** Bumped by every deletion: a lookup that started before one is not cached (it may be stale). */
	private epoch = 0;

	constructor(
		private readonly options: {
			ttlMs: number;
			maxEntries: number;
			now?: () => number;
			/** Told of every `get`: answered from memory (or a lookup in flight), or looked up. */
			counted?: (outcome: 'hit' | 'miss') => void;
		}
	) {}

	private now(): number {
		return (this.options.now ?? Date.now)();
	}

	get size(): number {
		return this.entries.size;
	}

	/** The cached value if it is still fresh. */
	peek(key: K): V | undefined {
		const entry = this.entries.get(key);
		if (!entry) return undefined;
		if (entry.expiresAt <= this.now()) {
			this.entries.delete(key);
			return undefined;
		}
		return entry.value;
	}

	/**
	 * The cached value, or the loader's (shared with concurrent callers of the same key). A value
	 * stays at most `ttlMs` after its lookup started, and `expiresAt` (epoch ms) caps it further.
	 */
	async get(
		key: K,
		loader: () => Promise<V | null>,
		expiresAt?: (value: V) => number
	): Promise<V | null> {
		const cached = this.peek(key);
		const pending = cached === undefined ? this.inFlight.get(key) : undefined;
		this.options.counted?.(cached !== undefined || pending ? 'hit' : 'miss');
		if (cached !== undefined) return cached;
		if (pending) return pending;
		const started = this.now();
		const epoch = this.epoch;
		const lookup = loader().then(
			(value) => {
				if (this.inFlight.get(key) === lookup) this.inFlight.delete(key);
				if (value !== null && this.options.ttlMs > 0 && epoch === this.epoch) {
					const limit = Math.min(started + this.options.ttlMs, expiresAt?.(value) ?? Infinity);
					if (limit > this.now()) this.set(key, value, limit);
				}
				return value;
			},
			(error: unknown) => {
				if (this.inFlight.get(key) === lookup) this.inFlight.delete(key);
				throw error;
			}
		);
		this.inFlight.set(key, lookup);
		return lookup;
	}

	/** Forgets a key; lookups in flight are then not cached (their callers still get them). */
	delete(key: K): void {
		this.epoch++;
		this.entries.delete(key);
		this.inFlight.delete(key);
	}

	/** Forgets every entry whose value matches (e.g. all cached tokens of an ended session). */
	deleteWhere(match: (value: V, key: K) => boolean): void {
		this.epoch++;
		for (const [key, entry] of this.entries) {
			if (match(entry.value, key)) this.entries.delete(key);
		}
	}

	/** Every fresh value. */
	forEach(visit: (value: V, key: K) => void): void {
		const now = this.now();
		for (const [key, entry] of this.entries) if (entry.expiresAt > now) visit(entry.value, key);
	}

	clear(): void {
		this.epoch++;
		this.entries.clear();
		this.inFlight.clear();
	}

	private set(key: K, value: V, expiresAt: number): void {
		this.entries.delete(key);
		if (this.entries.size >= this.options.maxEntries) {
			const oldest = this.entries.keys().next();
			if (!oldest.done) this.entries.delete(oldest.value);
		}
		this.entries.set(key, { value, expiresAt });
	}
}
