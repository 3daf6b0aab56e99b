// MongoDB access for the web app and the sync-server, through the official driver only.
// Works on MongoDB 7 and on FerretDB 1.24 (tests, local dev): plain CRUD, upserts, unique and
// compound indexes, sort/limit. No change streams, transactions or TTL indexes (docs/architecture.md).
//
// One module though longer than the others: most of it is declarations, the row type of every
// collection, kept beside the collection names (`collectionsOf`) and indexes (`ensureIndexes`)
// they go with, so that the whole schema reads in one place. The code (connecting, chunked bulk
// writes, what a driver error means) is about a hundred lines.
import {
	MongoClient,
	MongoError,
	MongoNetworkError,
	MongoOperationTimeoutError,
	MongoServerError,
	MongoServerSelectionError,
	type AnyBulkWriteOperation,
	type Binary,
	type BulkWriteOptions,
	type Collection,
	type Db,
	type Document as MongoDocument
} from 'mongodb';
import type { OrderMeta, PaymentMethod, Role, SelfServiceRole, Vehicle } from '../order/index.ts';
import type { OrderStatus } from '../order/status.ts';

export interface PartnerProfile {
	phone: string;
	vehicle: Vehicle;
	/** Whether the partner is taking new orders (the availability toggle). */
	available: boolean;
}

/** A delivery address a customer used or saved (src/lib/server/orders/addresses.ts). */
export interface SavedAddress {
	id: string;
	street: string;
	city: string;
	postcode: string;
	notes?: string;
	/** When an order last went there (or it was saved), for "last used first". */
	lastUsedAt: Date;
}

/** What checkout remembers for a customer. */
export interface CustomerProfile {
	/** The phone of the last order (or as edited in the account). */
	phone?: string;
	/** At most a handful, most recently used first when read. */
	addresses: SavedAddress[];
}

export interface UserDoc {
	_id: string;
	email: string; // stored lower-cased; unique
	name: string;
	role: Role;
	/** argon2id; null for an account made by signing in with Google that has set no password. */
	passwordHash: string | null;
	emailVerifiedAt: Date | null;
	partner?: PartnerProfile;
	customer?: CustomerProfile;
	createdAt: Date;
	updatedAt: Date;
}

export interface SessionDoc {
	_id: string; // session id (the public half of the token)
	secretHash: Binary; // SHA-256 of the secret half; the secret itself is never stored
	userId: string;
	createdAt: Date;
	expiresAt: Date;
}

/**
 * A note that sessions were ended on purpose (logout, "log out everywhere"), so the sync-server
 * closes their sockets within its poll interval without re-reading every open session. Kept for
 * a few minutes (the sync-server prunes older ones); the sessions themselves are already gone.
 */
interface SessionRevocationDoc {
	_id: string;
	at: Date;
	/** One session ended… */
	sessionId?: string;
	/** …or every session of this user that existed before `at`. */
	userId?: string;
}

export interface ProductDoc {
	_id: string;
	name: string;
	description: string;
	category: string;
	price: number; // integer minor units (cents)
	image: string; // URL path of a file under static/, e.g. /products/margherita.svg
	available: boolean;
	sort: number;
	tags?: string[]; // dietary labels: vegetarian, vegan, spicy
}

export interface OrderIndexDoc {
	_id: string; // order id; the document is `order/<_id>`
	customerId: string;
	customerName: string;
	partnerId: string | null;
	partnerName: string | null;
	status: OrderStatus;
	/** Integer minor units, delivery fee included. */
	total: number;
	/** The order's currency (OrderMeta.currency), when it records one. */
	currency?: string;
	itemCount: number;
	city: string;
	createdAt: Date;
	updatedAt: Date;
	claimedAt: Date | null;
	deliveredAt: Date | null;
	cancelledAt: Date | null;
	rating: { stars: number; comment: string } | null;
	conflicts: number;
	/** What was ordered (names and quantities), for history lists. */
	items?: Array<{ name: string; quantity: number }>;
	paymentMethod?: PaymentMethod;
}

/**
 * The decision that takes an order out of "pending, unassigned": a partner's claim or the
 * customer's cancellation. `_id` is the order id, so the first insert wins atomically; FerretDB
 * 1.24 does not make a conditional update (findOneAndUpdate) atomic, a unique insert it does.
 */
export interface OrderClaimDoc {
	_id: string; // order id
	kind: 'claim' | 'cancel';
	userId: string;
	userName: string;
	at: Date;
	/** The id of the event it writes into the order document, so a retry writes the same one. */
	eventId: string;
}

/** One per (customer, idempotency key): a retried checkout finds the order it already created. */
export interface OrderRequestDoc {
	_id: string; // `${customerId}:${key}`
	customerId: string;
	orderId: string;
	/** SHA-256 (hex) of the normalised request; a different body under the same key is refused. */
	requestHash: string;
	state: 'creating' | 'created';
	/** The order's meta while creating, so a retry can finish the job with the same meta. */
	meta?: OrderMeta;
	createdAt: Date;
}

/** One-time tokens for email verification and password reset; only a hash is stored. */
export interface AuthTokenDoc {
	_id: string; // SHA-256 (hex) of the token
	kind: 'verify-email' | 'reset-password';
	userId: string;
	email: string;
	createdAt: Date;
	expiresAt: Date;
	usedAt: Date | null;
}

/**
 * The decision that a one-time token has been used (or retired): `_id` is the token's hash, so
 * the first insert wins atomically, on FerretDB 1.24 too, whose conditional updates are not.
 */
export interface AuthTokenUseDoc {
	_id: string; // SHA-256 (hex) of the token, as AuthTokenDoc._id
	userId: string;
	kind: AuthTokenDoc['kind'];
	reason: 'used' | 'retired';
	at: Date;
}

/**
 * One counted attempt of a sliding rate-limit window: slot `n` of at most `limit`, held until
 * `expiresAt` (a window after the attempt), taken by a unique insert (rate-limit.ts). Mail
 * requests count every request; logins count only failures (login-limits.ts).
 */
export interface RateLimitSlotDoc {
	_id: string; // `${key}:${slot}:${bucket ms}`
	key: string; // `${bucket}:${key}`, e.g. `login-email:ann@example.com`
	slot: number;
	/** When the attempt took the slot. */
	at: Date;
	/** When it stops counting; rows past it are pruned. */
	expiresAt: Date;
	/** Logins: when the attempt failed (login-limits.ts). */
	failedAt?: Date;
}

/**
 * A Google (OpenID Connect) identity linked to a user. `_id` is `<issuer> <sub>`, so one identity
 * belongs to one user, decided by the unique insert; a unique index on (userId, provider) keeps
 * one Google identity per user.
 */
export interface UserIdentityDoc {
	_id: string;
	provider: 'google';
	issuer: string;
	subject: string;
	userId: string;
	/** The identity's email when it was linked (for the account page). */
	email: string;
	linkedAt: Date;
}

/**
 * One "Continue with Google" in progress, between the redirect to the provider and its answer.
 * `_id` is the SHA-256 of the `state` the browser's cookie holds; expires after 10 minutes.
 */
export interface OidcFlowDoc {
	_id: string;
	codeVerifier: string;
	nonce: string;
	/** Where to go afterwards (a same-site path), if asked. */
	next: string | null;
	/** The role the register page had chosen, a hint for the signup form. */
	role: SelfServiceRole | null;
	/** Set when a signed-in user who proved their password links Google from the account page. */
	linkUserId: string | null;
	createdAt: Date;
	expiresAt: Date;
}

/**
 * A verified Google identity waiting for the person: to finish signing up (choose customer or
 * partner) or to prove the password of the existing account with its email. `_id` is the SHA-256
 * of the token in the browser's cookie; expires after 15 minutes.
 */
export interface OidcPendingDoc {
	_id: string;
	kind: 'signup' | 'link';
	issuer: string;
	subject: string;
	email: string;
	name: string;
	/** kind 'link': the account whose password must be proved. */
	userId: string | null;
	next: string | null;
	role: SelfServiceRole | null;
	createdAt: Date;
	expiresAt: Date;
}

/** Mail written by the local outbox transport when no SMTP server is configured. */
export interface OutboxMailDoc {
	_id: string;
	to: string;
	subject: string;
	text: string;
	html: string;
	createdAt: Date;
}

/** Yjs storage: the compacted state of a document. */
export interface DocSnapshotDoc {
	_id: string; // document name, e.g. `order/abc`
	update: Binary; // Y.encodeStateAsUpdate of everything merged so far
	stateVector: Binary;
	/** The highest log sequence number merged into `update`. */
	mergedSeq: number;
	updatedAt: Date;
}

/**
 * Yjs storage: the append-only log, one row per document per flush. Rows live in generation
 * collections `ydoc_log_<n>` (see sync-server/persistence/log-generations.ts): writes only ever
 * insert, and a generation is dropped whole once every row in it is merged into the snapshots.
 * On FerretDB 1.24 (SQLite) a query, update or delete reads every row of its collection, while an
 * insert and a drop cost the same at any size.
 */
export interface DocLogRowDoc {
	_id: string; // `<document name>#<seq>`
	doc: string;
	seq: number;
	update: Binary;
	at: Date;
}

export const LOG_GENERATION_PREFIX = 'ydoc_log_';

export function logGeneration(db: Db, generation: number): Collection<DocLogRowDoc> {
	return db.collection<DocLogRowDoc>(`${LOG_GENERATION_PREFIX}${generation}`);
}

export interface Collections {
	users: Collection<UserDoc>;
	sessions: Collection<SessionDoc>;
	sessionRevocations: Collection<SessionRevocationDoc>;
	products: Collection<ProductDoc>;
	orders: Collection<OrderIndexDoc>;
	orderClaims: Collection<OrderClaimDoc>;
	orderRequests: Collection<OrderRequestDoc>;
	authTokens: Collection<AuthTokenDoc>;
	authTokenUses: Collection<AuthTokenUseDoc>;
	rateLimitSlots: Collection<RateLimitSlotDoc>;
	userIdentities: Collection<UserIdentityDoc>;
	oidcFlows: Collection<OidcFlowDoc>;
	oidcPending: Collection<OidcPendingDoc>;
	outbox: Collection<OutboxMailDoc>;
	docSnapshots: Collection<DocSnapshotDoc>;
}

export interface Database {
	client: MongoClient;
	db: Db;
	collections: Collections;
	close(): Promise<void>;
}

/** @internal for tests: tests/integration/projection-index-writer.test.ts */
export function collectionsOf(db: Db): Collections {
	return {
		users: db.collection<UserDoc>('users'),
		sessions: db.collection<SessionDoc>('sessions'),
		sessionRevocations: db.collection<SessionRevocationDoc>('session_revocations'),
		products: db.collection<ProductDoc>('products'),
		orders: db.collection<OrderIndexDoc>('orders'),
		orderClaims: db.collection<OrderClaimDoc>('order_claims'),
		orderRequests: db.collection<OrderRequestDoc>('order_requests'),
		authTokens: db.collection<AuthTokenDoc>('auth_tokens'),
		authTokenUses: db.collection<AuthTokenUseDoc>('auth_token_uses'),
		rateLimitSlots: db.collection<RateLimitSlotDoc>('rate_limit_slots'),
		userIdentities: db.collection<UserIdentityDoc>('user_identities'),
		oidcFlows: db.collection<OidcFlowDoc>('oidc_flows'),
		oidcPending: db.collection<OidcPendingDoc>('oidc_pending'),
		outbox: db.collection<OutboxMailDoc>('mail_outbox'),
		docSnapshots: db.collection<DocSnapshotDoc>('ydoc_snapshots')
	};
}

/**
 * FerretDB 1.24 keeps every statement of an update command open until the whole command ends,
 * each on its own SQLite connection out of 100: an update or bulkWrite of more than about 100
 * operations waits for itself forever (and stalls every other request). So bulk writes go out in
 * chunks of this many operations.
 * @internal for tests: tests/integration/bulk-write.test.ts
 */
export const BULK_WRITE_CHUNK = 50;

/** `bulkWrite` in chunks of BULK_WRITE_CHUNK; the counts are summed over the chunks. */
export async function bulkWriteInChunks<T extends MongoDocument>(
	collection: Collection<T>,
	operations: AnyBulkWriteOperation<T>[],
	options: BulkWriteOptions = { ordered: false }
): Promise<{ matchedCount: number; modifiedCount: number; upsertedCount: number }> {
	const total = { matchedCount: 0, modifiedCount: 0, upsertedCount: 0 };
	for (let i = 0; i < operations.length; i += BULK_WRITE_CHUNK) {
		const result = await collection.bulkWrite(operations.slice(i, i + BULK_WRITE_CHUNK), options);
		total.matchedCount += result.matchedCount;
		total.modifiedCount += result.modifiedCount;
		total.upsertedCount += result.upsertedCount;
	}
	return total;
}

/** True for a unique-index violation (E11000): the insert lost a race or hit a taken key. */
export function isDuplicateKeyError(error: unknown): boolean {
	return error instanceof MongoServerError && error.code === 11000;
}

/**
 * True when `error` says the database cannot be reached right now (rather than that a command was
 * wrong): no server could be selected in `serverSelectionTimeoutMS`, a connection broke or timed
 * out (`MongoNetworkError` and its subclasses, among them the pool-cleared errors), no connection
 * was free in time, or the client-side operation timeout passed. The one place that decides it;
 * the web app answers these with 503 (hooks.server.ts).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
	if (error instanceof MongoServerSelectionError) return true;
	if (error instanceof MongoNetworkError) return true; // incl. MongoNetworkTimeoutError, PoolClearedError
	if (error instanceof MongoOperationTimeoutError) return true;
	// not exported by the driver: a checkout that waited longer than waitQueueTimeoutMS
	if (error instanceof MongoError && error.name === 'MongoWaitQueueTimeoutError') return true;
	// an aggregate of attempts (e.g. a retried operation) that all failed this way
	if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
	return false;
}

/** How long the driver looks for a reachable server before an operation fails (ms). */
const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5_000;

async function ensureIndexes(c: Collections): Promise<void> {
	await Promise.all([
		c.users.createIndex({ email: 1 }, { unique: true }),
		c.users.createIndex({ role: 1, createdAt: -1 }),
		c.sessions.createIndex({ userId: 1 }),
		c.sessions.createIndex({ expiresAt: 1 }),
		c.sessionRevocations.createIndex({ at: 1 }),
		c.products.createIndex({ category: 1, sort: 1 }),
		c.orders.createIndex({ customerId: 1, createdAt: -1 }),
		c.orders.createIndex({ partnerId: 1, createdAt: -1 }),
		c.orders.createIndex({ status: 1, createdAt: -1 }),
		c.orders.createIndex({ createdAt: -1 }),
		c.orders.createIndex({ updatedAt: -1 }),
		c.orders.createIndex({ status: 1, updatedAt: -1 }),
		c.orders.createIndex({ partnerId: 1, status: 1 }),
		c.orderRequests.createIndex({ customerId: 1, createdAt: -1 }),
		c.authTokens.createIndex({ userId: 1, kind: 1 }),
		c.rateLimitSlots.createIndex({ key: 1, expiresAt: 1 }),
		c.rateLimitSlots.createIndex({ expiresAt: 1 }),
		c.userIdentities.createIndex({ userId: 1, provider: 1 }, { unique: true }),
		c.oidcFlows.createIndex({ expiresAt: 1 }),
		c.oidcPending.createIndex({ expiresAt: 1 }),
		c.outbox.createIndex({ to: 1, createdAt: -1 })
	]);
	// a database whose rate limits were counted in fixed windows has an index on (key, windowStart),
	// which now only costs writes
	await c.rateLimitSlots.dropIndex('key_1_windowStart_1').catch(() => undefined);
}

export async function connectDatabase(
	uri: string,
	options: { appName: string; maxPoolSize?: number; serverSelectionTimeoutMS?: number }
): Promise<Database> {
	const client = new MongoClient(uri, {
		appName: options.appName,
		maxPoolSize: options.maxPoolSize ?? 20,
		serverSelectionTimeoutMS:
			options.serverSelectionTimeoutMS ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS
	});
	await client.connect();
	const db = client.db(); // the database named in the URI (default: "test" if none)
	const collections = collectionsOf(db);
	await ensureIndexes(collections);
	return { client, db, collections, close: () => client.close() };
}

/** Cheap liveness probe for /healthz. */
export async function pingDatabase(database: Database): Promise<boolean> {
	try {
		await database.db.command({ ping: 1 });
		return true;
	} catch {
		return false;
	}
}
