// The web app while its database is down: with a FerretDB of its own (scripts/db.sh on a free
// port and a scratch folder), the built web app answers every request that needs the database
// with 503 (JSON with Retry-After on the API, a plain "temporarily unavailable" page otherwise),
// quickly, and recovers by itself once the database is back on the same port and folder.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/lib/shared/db.ts';
import { freePort } from '../support/ports.ts';
import { startWebApp, type RunningProcess } from '../support/processes.ts';
import { createTestUser, type TestUser } from '../support/sync-clients.ts';
import { Client, type Reply } from './auth-support.ts';

const run = promisify(execFile);

let dir: string;
let dbEnv: Record<string, string>;
let web: RunningProcess | undefined;
let user: TestUser;

const db = (command: 'start' | 'stop') =>
	run('bash', ['scripts/db.sh', command], { env: dbEnv, timeout: 120_000 });

beforeAll(async () => {
	const port = await freePort();
	dir = mkdtempSync(join(tmpdir(), 'dispatch-db-outage-'));
	dbEnv = { ...process.env, DB_PORT: String(port), DB_DIR: dir } as Record<string, string>;
	await db('start');
	const uri = `mongodb://127.0.0.1:${port}/outage`;
	const database = await connectDatabase(uri, { appName: 'dispatch-tests' });
	try {
		user = await createTestUser(database.collections, 'customer', 'Olive Outage');
	} finally {
		await database.close();
	}
	web = await startWebApp({ MONGODB_URI: uri, DB_TIMEOUT_MS: '1500' });
}, 180_000);

afterAll(async () => {
	await web?.stop();
	if (dbEnv) await db('stop').catch(() => undefined);
	if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

function signedIn(): Client {
	const client = new Client(web!.url);
	client.setSessionToken(user.cookie.slice(user.cookie.indexOf('=') + 1));
	return client;
}

const HTML = { accept: 'text/html' };

function expectUnavailableJson(reply: Reply, what: string) {
	expect(reply.status, `${what}: ${reply.text}`).toBe(503);
	expect(reply.headers.get('content-type'), what).toMatch(/application\/json/);
	expect(reply.json?.error?.code, what).toBe('unavailable');
	expect(reply.json.error.message, what).toMatch(/temporarily unavailable/);
	const retryAfter = Number(reply.headers.get('retry-after'));
	expect(retryAfter, what).toBeGreaterThanOrEqual(1);
	expect(retryAfter, what).toBeLessThanOrEqual(30);
}

function expectUnavailablePage(reply: Reply, what: string) {
	expect(reply.status, what).toBe(503);
	expect(reply.headers.get('content-type'), what).toMatch(/text\/html/);
	expect(reply.headers.get('retry-after'), what).toBeTruthy();
	expect(reply.text, what).toMatch(/temporarily unavailable/i);
	expect(reply.text, what).toContain('<style>');
	// not a stack, not SvelteKit's generic error page, not the app's 500 page
	expect(reply.text, what).not.toMatch(/Mongo|\bat .+\.js:\d+|Internal Error|Something went wrong/);
}

/** Polls `read` until `accept` holds (bounded). */
async function eventually(
	read: () => Promise<Reply>,
	accept: (reply: Reply) => boolean,
	what: string,
	timeoutMs = 30_000
): Promise<Reply> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const reply = await read();
		if (accept(reply)) return reply;
		if (Date.now() > deadline) throw new Error(`${what}: still ${reply.status} ${reply.text}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

describe('the database goes away and comes back', () => {
	it('503 while it is down, for the API and for pages; recovers by itself', async () => {
		const client = signedIn();
		expect((await client.get('/api/me')).status).toBe(200);
		expect((await client.get('/account', HTML)).status).toBe(200);
		const pid = web!.child.pid;

		await db('stop');

		// The API: the session lookup in handle, a route's own query, a login.
		const started = Date.now();
		expectUnavailableJson(await client.get('/api/me'), 'GET /api/me');
		expect(Date.now() - started, 'answered within the driver timeout').toBeLessThan(10_000);
		expectUnavailableJson(await client.get('/api/orders'), 'GET /api/orders');
		expectUnavailableJson(await client.get('/api/products'), 'GET /api/products, no cookie');
		expectUnavailableJson(
			await new Client(web!.url).post('/api/auth/login', {
				email: 'nobody@example.com',
				password: 'whatever it is'
			}),
			'POST /api/auth/login'
		);
		const health = await new Client(web!.url).get('/api/health');
		expect(health.status).toBe(503);
		expect(health.json).toMatchObject({ ok: false, error: { code: 'unavailable' } });

		// Pages: with a session cookie, and one whose own load reads the database.
		expectUnavailablePage(await client.get('/account', HTML), 'GET /account');
		expectUnavailablePage(await new Client(web!.url).get('/', HTML), 'GET /, no cookie');
		// a client-side navigation's data request gets SvelteKit's JSON error protocol
		const data = await client.get('/account/__data.json');
		expect(data.status).toBe(503);
		expect(data.json).toMatch(/temporarily unavailable/);

		await db('start');

		const me = await eventually(
			() => client.get('/api/me'),
			(reply) => reply.status === 200,
			'GET /api/me after the database came back'
		);
		expect(me.json.user.id).toBe(user.userId);
		const page = await eventually(
			() => client.get('/account', HTML),
			(reply) => reply.status === 200,
			'GET /account after the database came back'
		);
		expect(page.text).toContain('Olive Outage');
		expect((await client.get('/api/products')).status).toBe(200);
		// the same process all along: no restart
		expect(web!.child.pid).toBe(pid);
		expect(web!.child.exitCode).toBeNull();
	}, 120_000);
});
