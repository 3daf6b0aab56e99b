import { createServer } from 'node:net';
import {
	MongoClient,
	MongoError,
	MongoNetworkError,
	MongoNetworkTimeoutError,
	MongoServerError
} from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './db.ts';

/** A loopback port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

describe('isDatabaseUnavailable', () => {
	it('is true for what the driver throws when no server answers', async () => {
		const client = new MongoClient(`mongodb://127.0.0.1:${await closedPort()}/x`, {
			serverSelectionTimeoutMS: 300
		});
		try {
			const error = await client
				.db()
				.collection('users')
				.findOne({ _id: 'x' } as never)
				.then(
					() => null,
					(err: unknown) => err
				);
			expect(error).toBeInstanceOf(MongoError);
			expect((error as Error).name).toBe('MongoServerSelectionError');
			expect(isDatabaseUnavailable(error)).toBe(true);
		} finally {
			await client.close();
		}
	});

	it('is true for network errors and their timeouts (pool-cleared errors are network errors)', () => {
		expect(isDatabaseUnavailable(new MongoNetworkError('connection reset'))).toBe(true);
		expect(isDatabaseUnavailable(new MongoNetworkTimeoutError('timed out'))).toBe(true);
	});

	it('is false for errors that say a command was wrong, and for anything else', () => {
		expect(isDatabaseUnavailable(new MongoServerError({ code: 11000, errmsg: 'dup' }))).toBe(false);
		expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
		expect(isDatabaseUnavailable(null)).toBe(false);
	});
});
