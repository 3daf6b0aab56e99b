// Request schemas for the order API, shared by the JSON routes and the pages' form actions. Every
// message is a sentence naming its field, so it reads well under an input and in an API error.
import { z } from 'zod';
import {
	hasTextDirectionChars,
	MAX_LINE_QUANTITY,
	MAX_ORDER_LINES,
	ORDER_LIMITS,
	PAYMENT_METHODS
} from '../../order/schema.ts';
import { isOrderStatus, ORDER_STATUSES, type OrderStatus } from '../../order/status.ts';
import { noInvisibleChars, phoneSchema, requiredString } from '../validation/text.ts';

const MAX_CANCEL_REASON = 500;
export const LIST_LIMIT_DEFAULT = 20;
const LIST_LIMIT_MAX = 100;
/** Idempotency keys: what an offline queue would generate (a UUID, a random id). */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,64}$/;

// Control characters would break logs, mails and the UI.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/**
 * A trimmed text field with a length cap and no control or text-direction characters. `visible`
 * (names, addresses) also refuses every other invisible character (validation/text.ts); free text
 * (a cancel's reason) keeps those, as emoji need the zero-width joiner.
 */
function text(label: string, max: number, options: { required: boolean; visible?: boolean }) {
	const base = requiredString(label)
		.trim()
		.max(max, `${label} must be at most ${max} characters.`)
		.refine((s) => !CONTROL_CHARS.test(s), `${label} must not contain control characters.`);
	const checked = options.visible
		? base.check(noInvisibleChars(label))
		: base.refine(
				(s) => !hasTextDirectionChars(s),
				`${label} must not contain text-direction characters (bidi controls).`
			);
	return options.required ? checked.pipe(z.string().min(1, `${label} is required.`)) : checked;
}

const orderLineSchema = z.object(
	{
		productId: z
			.string({ error: 'Product id must be a string.' })
			.min(1, 'Product id is required.')
			.max(64, 'Product id must be at most 64 characters.'),
		quantity: z
			.number({ error: 'Quantity must be a whole number from 1 to 50.' })
			.int('Quantity must be a whole number from 1 to 50.')
			.min(1, 'Quantity must be at least 1.')
			.max(MAX_LINE_QUANTITY, `Quantity must be at most ${MAX_LINE_QUANTITY}.`)
	},
	{ error: 'Each item must be an object with productId and quantity.' }
);

export const addressSchema = z.object(
	{
		street: text('Street', ORDER_LIMITS.street, { required: true, visible: true }),
		city: text('City', ORDER_LIMITS.city, { required: true, visible: true }),
		postcode: text('Postcode', ORDER_LIMITS.postcode, { required: true, visible: true }),
		notes: text('Delivery notes', ORDER_LIMITS.addressNotes, {
			required: false,
			visible: true
		}).optional()
	},
	{ error: 'Address must be an object with street, city and postcode.' }
);

const paymentMethodSchema = z.enum(PAYMENT_METHODS, {
	error: () => `Payment method must be one of: ${PAYMENT_METHODS.join(', ')}.`
});

export const idempotencyKeySchema = z
	.string({ error: 'Client order id must be a string.' })
	.regex(
		IDEMPOTENCY_KEY,
		'Client order id must be 8 to 64 letters, digits, dashes or underscores.'
	);

/**
 * POST /api/orders. Prices are never read from the client: unknown keys such as `unitPrice` or
 * `total` are stripped. `clientOrderId` is the body form of the Idempotency-Key header.
 */
export const createOrderSchema = z.object({
	items: z
		.array(orderLineSchema, { error: 'Items must be a list of {productId, quantity}.' })
		.min(1, 'Items must contain at least one product.')
		.max(MAX_ORDER_LINES, `Items may contain at most ${MAX_ORDER_LINES} lines.`),
	address: addressSchema,
	phone: phoneSchema,
	paymentMethod: paymentMethodSchema,
	clientOrderId: idempotencyKeySchema.optional()
});
export type CreateOrderData = z.output<typeof createOrderSchema>;

/** POST /api/orders/<id>/cancel (the body is optional). */
export const cancelOrderSchema = z.object({
	reason: text('Reason', MAX_CANCEL_REASON, { required: false }).optional()
});

/** POST /api/partner/availability */
export const availabilitySchema = z.object({
	available: z.boolean({ error: 'Available must be true or false.' })
});

/**
 * A query parameter's string, whose errors name it: missing (where required), or given more than
 * once (`?from=a&from=b` arrives as a list).
 */
const queryParam = (label: string) =>
	z.string({
		error: (issue) =>
			issue.input === undefined
				? `${label} is required.`
				: Array.isArray(issue.input)
					? `${label} must be given once.`
					: `${label} must be a string.`
	});

const isoDate = (label: string) =>
	queryParam(label)
		.refine(
			(s) =>
				/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(s) &&
				!Number.isNaN(Date.parse(s)),
			`${label} must be an ISO date like 2025-01-31 or 2025-01-31T12:00:00Z.`
		)
		.transform((s) => new Date(s));

const userId = (label: string) =>
	queryParam(label).regex(
		/^[a-z0-9]{1,64}$/,
		`${label} must be a user id (lower-case letters and digits).`
	);

/** The query parameters GET /api/orders understands; any other is a 400 naming it. */
export const LIST_QUERY_KEYS = [
	'status',
	'partnerId',
	'customerId',
	'city',
	'from',
	'to',
	'updatedFrom',
	'updatedTo',
	'sort',
	'limit',
	'cursor'
] as const;

/** How a list is ordered: by when orders were placed, or by their last activity. */
const LIST_SORTS = ['created', 'updated'] as const;
export type ListSort = (typeof LIST_SORTS)[number];

/**
 * GET /api/orders query parameters (all optional, strings as they come from a URL). `status` is
 * one status or a comma list; `city` one city (exact); `from`/`to` bound `createdAt` and
 * `updatedFrom`/`updatedTo` the last activity `updatedAt` (from inclusive, to exclusive; a
 * finished order's last activity is its delivery or cancel); `sort` is `created` (newest placed
 * first, the default) or `updated` (latest activity first).
 */
export const listOrdersQuerySchema = z
	.object({
		status: queryParam('Status')
			.transform((s) => s.split(',').map((part) => part.trim()))
			.refine(
				(parts) => parts.length > 0 && parts.every((part) => isOrderStatus(part)),
				`Status must be one or more of: ${ORDER_STATUSES.join(', ')} (comma-separated).`
			)
			.transform((parts) => parts as OrderStatus[])
			.optional(),
		partnerId: userId('Partner id').optional(),
		customerId: userId('Customer id').optional(),
		city: queryParam('City')
			.trim()
			.min(1, 'City must not be empty.')
			.max(ORDER_LIMITS.city, `City must be at most ${ORDER_LIMITS.city} characters.`)
			.optional(),
		from: isoDate('From').optional(),
		to: isoDate('To').optional(),
		updatedFrom: isoDate('Updated from').optional(),
		updatedTo: isoDate('Updated to').optional(),
		sort: z
			.enum(LIST_SORTS, { error: () => `Sort must be one of: ${LIST_SORTS.join(', ')}.` })
			.optional(),
		limit: queryParam('Limit')
			.regex(/^\d{1,3}$/, `Limit must be a whole number from 1 to ${LIST_LIMIT_MAX}.`)
			.transform(Number)
			.pipe(
				z
					.number()
					.min(1, `Limit must be a whole number from 1 to ${LIST_LIMIT_MAX}.`)
					.max(LIST_LIMIT_MAX, `Limit must be at most ${LIST_LIMIT_MAX}.`)
			)
			.optional(),
		cursor: queryParam('Cursor').max(200, 'Cursor is not valid.').optional()
	})
	.superRefine((query, ctx) => {
		if (query.from && query.to && query.from.getTime() >= query.to.getTime()) {
			ctx.addIssue({ code: 'custom', path: ['to'], message: 'To must be after from.' });
		}
		if (
			query.updatedFrom &&
			query.updatedTo &&
			query.updatedFrom.getTime() >= query.updatedTo.getTime()
		) {
			ctx.addIssue({
				code: 'custom',
				path: ['updatedTo'],
				message: 'Updated to must be after updated from.'
			});
		}
	});

/** The query parameters of GET /api/orders/stats. */
export const ORDER_STATS_QUERY_KEYS = ['from', 'to'] as const;

/** GET /api/orders/stats: the day (or any span) the numbers are about; `from` is required. */
export const orderStatsQuerySchema = z
	.object({
		from: isoDate('From'),
		to: isoDate('To').optional()
	})
	.superRefine((query, ctx) => {
		if (query.to && query.from.getTime() >= query.to.getTime()) {
			ctx.addIssue({ code: 'custom', path: ['to'], message: 'To must be after from.' });
		}
	});

/** Parse a URL's query string with `listOrdersQuerySchema` (repeated params are refused). */
export function listQueryFromSearchParams(
	params: URLSearchParams
): Record<string, string | string[]> {
	const out: Record<string, string | string[]> = {};
	for (const key of new Set(params.keys())) {
		const values = params.getAll(key);
		out[key] = values.length === 1 ? (values[0] as string) : values;
	}
	return out;
}

export type { OrderStatus };
