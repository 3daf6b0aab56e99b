import { describe, expect, it } from 'vitest';
import {
	cancelOrderSchema,
	createOrderSchema,
	listOrdersQuerySchema,
	listQueryFromSearchParams,
	orderStatsQuerySchema
} from './schemas.ts';

const body = {
	items: [{ productId: 'margherita', quantity: 2, unitPrice: 1, name: 'cheap' }],
	address: { street: ' 1 Main St ', city: 'Springfield', postcode: '12345', notes: '' },
	phone: '+1 555 010 0100',
	paymentMethod: 'upi',
	total: 1
};

describe('createOrderSchema', () => {
	it('keeps what the server needs and drops any price a client sends', () => {
		const parsed = createOrderSchema.parse(body);
		expect(parsed.items).toEqual([{ productId: 'margherita', quantity: 2 }]);
		expect(parsed).not.toHaveProperty('total');
		expect(parsed.address.street).toBe('1 Main St');
	});

	it('names the field of the first problem', () => {
		const result = createOrderSchema.safeParse({
			...body,
			items: [{ productId: 'x', quantity: 2.5 }]
		});
		expect(result.success).toBe(false);
		expect(result.error!.issues[0]!.path).toEqual(['items', 0, 'quantity']);
	});
});

describe('cancelOrderSchema', () => {
	it('takes free text with emoji, and refuses text-direction controls', () => {
		expect(cancelOrderSchema.parse({ reason: 'Closed early 👨\u200d🍳' }).reason).toBe(
			'Closed early 👨\u200d🍳'
		);
		const result = cancelOrderSchema.safeParse({ reason: 'a\u202eb' });
		expect(result.error?.issues[0]?.message).toBe(
			'Reason must not contain text-direction characters (bidi controls).'
		);
	});
});

describe('query parameters', () => {
	const message = (
		schema: typeof orderStatsQuerySchema | typeof listOrdersQuerySchema,
		query: string
	) =>
		schema.safeParse(listQueryFromSearchParams(new URLSearchParams(query))).error?.issues[0]
			?.message;

	it('say which one is missing or given twice, in words', () => {
		expect(message(orderStatsQuerySchema, '')).toBe('From is required.');
		expect(message(orderStatsQuerySchema, 'from=2026-01-01&from=2026-01-02')).toBe(
			'From must be given once.'
		);
		expect(message(listOrdersQuerySchema, 'status=pending&status=delivered')).toBe(
			'Status must be given once.'
		);
		expect(message(listOrdersQuerySchema, 'limit=5&limit=6')).toBe('Limit must be given once.');
	});
});

describe('listOrdersQuerySchema', () => {
	it('parses a comma list of statuses, dates and a limit', () => {
		const params = new URLSearchParams('status=pending,delivered&from=2025-01-01&limit=5');
		const parsed = listOrdersQuerySchema.parse(listQueryFromSearchParams(params));
		expect(parsed.status).toEqual(['pending', 'delivered']);
		expect(parsed.from?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
		expect(parsed.limit).toBe(5);
	});

	it('refuses repeated parameters, unknown statuses and bad dates', () => {
		for (const query of ['limit=1&limit=2', 'status=gone', 'from=2025-02-30x']) {
			const parsed = listOrdersQuerySchema.safeParse(
				listQueryFromSearchParams(new URLSearchParams(query))
			);
			expect(parsed.success, query).toBe(false);
		}
	});
});
