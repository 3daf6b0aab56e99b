import { describe, expect, it } from 'vitest';
import {
	describeDoc,
	droppedMessage,
	orderRef,
	refusalMessage,
	sessionEndedMessage
} from './messages.ts';

describe('sync messages', () => {
	it('names orders by their short reference and feeds by what they are', () => {
		expect(orderRef('k3f9qzabcdef')).toBe('#K3F9QZ');
		expect(describeDoc('order/k3f9qzabcdef')).toBe('order #K3F9QZ');
		expect(describeDoc('feed/customer/u1')).toBe('your order list');
		expect(describeDoc('feed/admin')).toBe('the live board');
		expect(describeDoc('not a doc')).toBe('not a doc');
	});

	it('says which change was refused and why, in one sentence', () => {
		expect(
			refusalMessage('order/k3f9qzabcdef', 'only the assigned partner may write delivered')
		).toBe(
			'Your change to order #K3F9QZ was not accepted: only the assigned partner may write delivered. What you see now is what the server has.'
		);
		expect(refusalMessage('order/k3f9qzabcdef', '  ')).toContain(
			'was not accepted: the server did not accept it.'
		);
		expect(refusalMessage('order/k3f9qzabcdef', 'rate limit.')).toContain(
			'not accepted: rate limit. What'
		);
	});

	it('names each change that did not apply, with its reason', () => {
		expect(
			droppedMessage('order/k3f9qzabcdef', [
				{ what: 'Cancel order', reason: 'a partner had already accepted the order' }
			])
		).toBe(
			'Your “Cancel order” on order #K3F9QZ did not apply: a partner had already accepted the order.'
		);
		expect(
			droppedMessage('order/k3f9qzabcdef', [
				{ what: 'Cancel order', reason: 'a partner had already accepted the order.' },
				{ what: 'Rating', reason: 'the order is not delivered yet' }
			])
		).toBe(
			'Your changes to order #K3F9QZ did not apply: “Cancel order”, because a partner had already accepted the order; “Rating”, because the order is not delivered yet.'
		);
	});

	it('explains a session that ended', () => {
		expect(sessionEndedMessage('feed/customer/u1')).toContain('your order list');
		expect(sessionEndedMessage('feed/customer/u1')).toContain('Log in again');
	});
});
