// Lookups by `_id` batched per turn of the event loop (src/lib/server/find-by-id.ts), and the
// `_id: {$in}` queries they make, on the run's real database (the patched FerretDB of
// scripts/db.sh, or TEST_MONGODB_URI): the right rows, whatever the ids, in one query a turn.
import { MongoClient, type Collection } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchedFindById, FIND_BY_ID_BATCH } from '../../src/lib/shared/find-by-id.ts';
import { testDatabaseUri } from '../support/database.ts';

interface Row {
	_id: string;
	n: number;
	kind: 'even' | 'odd';
	secret: string;
}

let client: MongoClient;
let rows: Collection<Row>;
/** The `find` commands the database received on `rows`, with their filters. */
const finds: Array<Record<string, unknown>> = [];

beforeAll(async () => {
	client = new MongoClient(testDatabaseUri('find_by_id'), { monitorCommands: true });
	client.on('commandStarted', (event) => {
		if (event.commandName === 'find' && event.command.find === 'rows') {
			finds.push(event.command.filter as Record<string, unknown>);
		}
	});
	await client.connect();
	rows = client.db().collection<Row>('rows');
	const all = Array.from({ length: 600 }, (_, n) => ({
		_id: `r${n}`,
		n,
		kind: n % 2 === 0 ? ('even' as const) : ('odd' as const),
		secret: `s${n}`
	}));
	for (let i = 0; i < all.length; i += 50) await rows.insertMany(all.slice(i, i + 50));
});

afterAll(async () => {
	await client?.db().dropDatabase();
	await client?.close();
});

describe('find by _id $in', () => {
	it('returns exactly the rows named, whether or not they exist, once each', async () => {
		const ids = ['r5', 'r599', 'missing', 'r5', 'r0', 'r300'];
		const found = await rows.find({ _id: { $in: ids } }).toArray();
		expect(found.map((row) => row._id).sort()).toEqual(['r0', 'r300', 'r5', 'r599']);
		expect(found.find((row) => row._id === 'r300')).toEqual({
			_id: 'r300',
			n: 300,
			kind: 'even',
			secret: 's300'
		});
	});

	it('still applies the rest of the filter, and non-string ids', async () => {
		const ids = Array.from({ length: 20 }, (_, n) => `r${n}`);
		const odd = await rows.find({ _id: { $in: ids }, kind: 'odd' }).toArray();
		expect(odd.map((row) => row.n).sort((a, b) => a - b)).toEqual([
			1, 3, 5, 7, 9, 11, 13, 15, 17, 19
		]);
		expect(await rows.find({ _id: { $in: [5, 'r5'] as unknown as string[] } }).toArray()).toEqual([
			expect.objectContaining({ _id: 'r5' })
		]);
	});

	it('answers more ids than one lookup through the index takes (1,000) all the same', async () => {
		const ids = Array.from({ length: 1_200 }, (_, n) => `r${n}`);
		expect(await rows.countDocuments({ _id: { $in: ids } })).toBe(600);
	});
});

describe('batchedFindById', () => {
	it('answers the lookups of one turn with one query, each with its row or null', async () => {
		const find = batchedFindById(rows);
		finds.length = 0;
		const answers = await Promise.all(['r1', 'r2', 'nope', 'r1', 'r599'].map(find));
		expect(answers.map((row) => row?._id ?? null)).toEqual(['r1', 'r2', null, 'r1', 'r599']);
		expect(answers[0]).toEqual({ _id: 'r1', n: 1, kind: 'odd', secret: 's1' });
		expect(finds).toEqual([{ _id: { $in: ['r1', 'r2', 'nope', 'r599'] } }]);
	});

	it('looks up a single id by equality, and lookups in later turns in later queries', async () => {
		const find = batchedFindById(rows);
		finds.length = 0;
		expect((await find('r7'))?.n).toBe(7);
		expect((await find('r8'))?.n).toBe(8);
		expect(finds).toEqual([{ _id: 'r7' }, { _id: 'r8' }]);
	});

	it(`splits a turn's lookups into queries of at most ${FIND_BY_ID_BATCH} ids`, async () => {
		const find = batchedFindById(rows);
		finds.length = 0;
		const ids = Array.from({ length: 500 }, (_, n) => `r${n}`);
		const answers = await Promise.all(ids.map(find));
		expect(answers.map((row) => row?.n)).toEqual(ids.map((_, n) => n));
		// (the batches go out side by side, so in no particular order)
		const sizes = finds.map((filter) => (filter._id as { $in: string[] }).$in.length);
		expect(sizes.sort((a, b) => b - a)).toEqual([
			FIND_BY_ID_BATCH,
			FIND_BY_ID_BATCH,
			500 - 2 * FIND_BY_ID_BATCH
		]);
	});

	it('applies the projection', async () => {
		const find = batchedFindById(rows, { projection: { secret: 0 } });
		const [a, b] = await Promise.all([find('r10'), find('r11')]);
		expect(a).toEqual({ _id: 'r10', n: 10, kind: 'even' });
		expect(b).toEqual({ _id: 'r11', n: 11, kind: 'odd' });
	});

	it('fails every lookup of a batch whose query fails', async () => {
		// a projection that mixes exclusion and inclusion is refused by the database
		const find = batchedFindById(rows, { projection: { secret: 0, n: 1 } });
		const results = await Promise.allSettled([find('r1'), find('r2')]);
		expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
	});
});
