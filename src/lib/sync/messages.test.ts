import { describe, expect, it } from 'vitest';
import { describeDoc, orderRef, refusalMessage, sessionEndedMessage } from './messages.ts';

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
			'Your change to order #K3F9QZ was refused: only the assigned partner may write delivered. It was reloaded from the server.'
		);
		expect(refusalMessage('order/k3f9qzabcdef', '  ')).toContain(
			'was refused: the server did not accept it.'
		);
		expect(refusalMessage('order/k3f9qzabcdef', 'rate limit.')).toContain(
			'refused: rate limit. It'
		);
	});

	it('explains a session that ended', () => {
		expect(sessionEndedMessage('feed/customer/u1')).toContain('your order list');
		expect(sessionEndedMessage('feed/customer/u1')).toContain('Log in again');
	});
});
