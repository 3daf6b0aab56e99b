import { describe, expect, it } from 'vitest';
import { emailBreakParts } from './email.ts';

describe('emailBreakParts', () => {
	it('cuts after the @ and before each dot, losing nothing', () => {
		const address = 'casey.customer@mail.example.test';
		const parts = emailBreakParts(address);
		expect(parts).toEqual(['casey', '.customer@', 'mail', '.example', '.test']);
		expect(parts.join('')).toBe(address);
	});

	it('leaves an address without dots or @ whole', () => {
		expect(emailBreakParts('localhost')).toEqual(['localhost']);
	});
});
