import { describe, expect, it } from 'vitest';
import { Refusal } from '../core/refusal.ts';
import { Quotas } from './quotas.ts';

const limits = {
	rooms: { customer: 2, partner: 3, admin: 10 },
	connections: { customer: 3, partner: 5, admin: 20 }
};

function refusalKind(run: () => unknown): string | null {
	try {
		run();
		return null;
	} catch (error) {
		return error instanceof Refusal ? `${error.status} ${error.kind}` : 'other';
	}
}

describe('Quotas', () => {
	it('counts distinct rooms per user by role', () => {
		const quotas = new Quotas(limits);
		quotas.admit('u', 'customer', 'order/a');
		quotas.admit('u', 'customer', 'order/b');
		// a second socket into a room already open is not a new room
		quotas.admit('u', 'customer', 'order/a');
		expect(quotas.of('u')).toEqual({ connections: 3, rooms: 2 });
		expect(refusalKind(() => quotas.admit('u', 'customer', 'order/c'))).toBe(
			'403 connection_quota'
		);
		// another user is not affected
		expect(refusalKind(() => quotas.admit('v', 'customer', 'order/c'))).toBeNull();
	});

	it('refuses a room over the quota and frees slots on release (once)', () => {
		const quotas = new Quotas(limits);
		const a = quotas.admit('u', 'customer', 'order/a');
		quotas.admit('u', 'customer', 'order/b');
		expect(refusalKind(() => quotas.admit('u', 'customer', 'order/c'))).toBe('403 room_quota');
		a.release();
		a.release();
		expect(quotas.of('u')).toEqual({ connections: 1, rooms: 1 });
		expect(refusalKind(() => quotas.admit('u', 'customer', 'order/c'))).toBeNull();
	});

	it('uses the limits of the role', () => {
		const quotas = new Quotas(limits);
		for (const room of ['a', 'b', 'c']) quotas.admit('p', 'partner', `order/${room}`);
		expect(refusalKind(() => quotas.admit('p', 'partner', 'order/d'))).toBe('403 room_quota');
		for (let i = 0; i < 10; i++) quotas.admit('x', 'admin', `order/${i}`);
		expect(refusalKind(() => quotas.admit('x', 'admin', 'order/11'))).toBe('403 room_quota');
	});
});
