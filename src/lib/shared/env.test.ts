import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseEnv, positiveInt } from './env.ts';

const schema = z.object({ LIMIT: positiveInt(7) });

function problemsFor(value: string): string[] {
	try {
		parseEnv(schema, { LIMIT: value });
	} catch (error) {
		expect(error).toBeInstanceOf(ConfigError);
		return (error as ConfigError).problems;
	}
	throw new Error(`expected LIMIT=${JSON.stringify(value)} to be refused`);
}

describe('positiveInt', () => {
	it('falls back to the default when unset or empty', () => {
		expect(parseEnv(schema, {}).LIMIT).toBe(7);
		expect(parseEnv(schema, { LIMIT: '' }).LIMIT).toBe(7);
	});

	it('parses a positive whole number', () => {
		expect(parseEnv(schema, { LIMIT: '1' }).LIMIT).toBe(1);
		expect(parseEnv(schema, { LIMIT: '250' }).LIMIT).toBe(250);
	});

	it('says "must be a number" for text that is not a number', () => {
		expect(problemsFor('abc')).toEqual(['LIMIT: must be a number']);
		expect(problemsFor('12px')).toEqual(['LIMIT: must be a number']);
	});

	it('says "must be a positive whole number" for zero, negatives and fractions', () => {
		for (const value of ['0', '-1', '-250', '1.5']) {
			expect(problemsFor(value)).toEqual(['LIMIT: must be a positive whole number']);
		}
	});
});
