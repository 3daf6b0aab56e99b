// Reading orders from the `orders` index: lists scoped by role (customer → own, partner →
// assigned, admin → all with filters), newest first with an opaque cursor, and single orders.
import type { Filter } from 'mongodb';
import { ID_PATTERN } from '../../order/index.ts';
import type { OrderIndexDoc } from '../../shared/db.ts';
import { ApiError, validationError } from '../http.ts';
import { notFound } from './errors.ts';
import {
	LIST_LIMIT_DEFAULT,
	LIST_QUERY_KEYS,
	listOrdersQuerySchema,
	type ListSort
} from './schemas.ts';
import { toOrderSummary } from './summary.ts';
import type { OrderActor, OrderPage, OrderServiceContext, OrderSummary } from './types.ts';

interface Cursor {
	/** The sort key (createdAt or updatedAt, ms) and id of the last order on the previous page. */
	t: number;
	id: string;
	/** `u` for a list sorted by updatedAt (absent: createdAt, as cursors always were). */
	s?: 'u';
}

/** The index field a sort orders by. */
const sortField = (sort: ListSort) => (sort === 'updated' ? 'updatedAt' : 'createdAt');

function encodeCursor(row: OrderIndexDoc, sort: ListSort): string {
	const cursor: Cursor = { t: row[sortField(sort)].getTime(), id: row._id };
	if (sort === 'updated') cursor.s = 'u';
	return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(value: string, sort: ListSort): Cursor {
	try {
		const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;
		const { t, id, s } = (parsed ?? {}) as Partial<Cursor>;
		if (
			typeof t === 'number' &&
			Number.isSafeInteger(t) &&
			typeof id === 'string' &&
			ID_PATTERN.test(id) &&
			(s === 'u') === (sort === 'updated')
		) {
			return { t, id };
		}
	} catch {
		/* fall through */
	}
	throw new ApiError(
		400,
		'invalid_input',
		'Cursor is not valid; use the nextCursor of the previous page.',
		'cursor'
	);
}

/** Who sees which rows: the scope every query is AND-ed with. */
function scopeFor(user: OrderActor): Filter<OrderIndexDoc> {
	switch (user.role) {
		case 'admin':
			return {};
		case 'partner':
			return { partnerId: user.id };
		case 'customer':
			return { customerId: user.id };
	}
}

/**
 * Lists orders the user may see, newest first. `query` is the raw query (e.g. from
 * `listQueryFromSearchParams(url.searchParams)`); a bad parameter is a 400 naming it.
 * Filters a non-admin passes only narrow their own orders further.
 */
export async function listOrders(
	service: OrderServiceContext,
	user: OrderActor,
	query: Record<string, unknown> = {}
): Promise<OrderPage> {
	const unknown = Object.keys(query).find(
		(key) => !(LIST_QUERY_KEYS as readonly string[]).includes(key)
	);
	if (unknown !== undefined) {
		throw new ApiError(
			400,
			'invalid_input',
			`Unknown parameter ${unknown}; use ${LIST_QUERY_KEYS.join(', ')}.`,
			unknown
		);
	}
	const parsed = listOrdersQuerySchema.safeParse(query);
	if (!parsed.success) throw validationError(parsed.error);
	const q = parsed.data;
	const limit = q.limit ?? LIST_LIMIT_DEFAULT;
	const sort = q.sort ?? 'created';
	const field = sortField(sort);
	const and: Filter<OrderIndexDoc>[] = [scopeFor(user)];
	if (q.status) and.push({ status: { $in: q.status } });
	if (q.partnerId) and.push({ partnerId: q.partnerId });
	if (q.customerId) and.push({ customerId: q.customerId });
	if (q.city) and.push({ city: q.city });
	if (q.from) and.push({ createdAt: { $gte: q.from } });
	if (q.to) and.push({ createdAt: { $lt: q.to } });
	if (q.updatedFrom) and.push({ updatedAt: { $gte: q.updatedFrom } });
	if (q.updatedTo) and.push({ updatedAt: { $lt: q.updatedTo } });
	if (q.cursor) {
		const cursor = decodeCursor(q.cursor, sort);
		const at = new Date(cursor.t);
		and.push({ $or: [{ [field]: { $lt: at } }, { [field]: at, _id: { $lt: cursor.id } }] });
	}
	const filter = and.filter((part) => Object.keys(part).length > 0);
	const rows = await service.collections.orders
		.find(filter.length === 0 ? {} : filter.length === 1 ? filter[0]! : { $and: filter })
		.sort({ [field]: -1, _id: -1 })
		.limit(limit + 1)
		.toArray();
	const page = rows.slice(0, limit);
	const last = page[page.length - 1];
	return {
		orders: page.map(toOrderSummary),
		nextCursor: rows.length > limit && last ? encodeCursor(last, sort) : null
	};
}

/** May `user` see this order? Partners may also look at an open order before claiming it. */
export function maySeeOrder(user: OrderActor, row: OrderIndexDoc): boolean {
	switch (user.role) {
		case 'admin':
			return true;
		case 'customer':
			return row.customerId === user.id;
		case 'partner':
			return row.partnerId === user.id || (row.partnerId === null && row.status === 'pending');
	}
}

/**
 * One order, for whoever may see it. An order the user may not see is answered exactly like one
 * that does not exist (404 `not_found`), so ids cannot be probed for other people's orders.
 */
export async function getOrder(
	service: OrderServiceContext,
	user: OrderActor,
	orderId: string
): Promise<OrderSummary> {
	if (!ID_PATTERN.test(orderId)) throw notFound();
	const row = await service.collections.orders.findOne({ _id: orderId });
	if (!row || !maySeeOrder(user, row)) throw notFound();
	return toOrderSummary(row);
}
