// Helpers for the account tests: the built web app on a fresh database, a fetch client that keeps
// cookies like a browser would, registration, and a bounded wait for mail in the outbox collection.
import { expect } from 'vitest';
import type { Database, OutboxMailDoc } from '../../src/lib/shared/db.ts';
import { dropTestDatabase, openTestDatabase } from '../support/database.ts';
import { startWebApp, type RunningProcess } from '../support/processes.ts';

export const SESSION_COOKIE = 'dispatch_session';

export interface Reply {
	status: number;
	headers: Headers;
	text: string;
	/** The parsed JSON body, or undefined when the body is not JSON. */
	json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One "browser": a base URL, a cookie jar and optional fixed headers (e.g. X-Forwarded-For). */
export class Client {
	readonly cookies = new Map<string, string>();

	constructor(
		readonly base: string,
		readonly fixedHeaders: Record<string, string> = {}
	) {}

	get sessionToken(): string | undefined {
		return this.cookies.get(SESSION_COOKIE);
	}

	setSessionToken(token: string) {
		this.cookies.set(SESSION_COOKIE, token);
	}

	async request(
		method: string,
		path: string,
		options: { json?: unknown; body?: string; headers?: Record<string, string> } = {}
	): Promise<Reply> {
		const headers: Record<string, string> = { ...this.fixedHeaders, ...options.headers };
		if (this.cookies.size) {
			headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
		}
		let body = options.body;
		if (options.json !== undefined) {
			body = JSON.stringify(options.json);
			headers['content-type'] ??= 'application/json';
		}
		const res = await fetch(this.base + path, {
			method,
			headers,
			body,
			redirect: 'manual',
			signal: AbortSignal.timeout(20_000)
		});
		this.absorbCookies(res.headers);
		const text = await res.text();
		let json: unknown;
		try {
			json = text ? JSON.parse(text) : undefined;
		} catch {
			json = undefined;
		}
		return { status: res.status, headers: res.headers, text, json };
	}

	get(path: string, headers: Record<string, string> = {}) {
		return this.request('GET', path, { headers });
	}

	post(path: string, json?: unknown) {
		return this.request('POST', path, json === undefined ? {} : { json });
	}

	/** Submits a page's form action like a browser without JavaScript. */
	submitForm(path: string, fields: Record<string, string>) {
		return this.request('POST', path, {
			body: new URLSearchParams(fields).toString(),
			headers: {
				'content-type': 'application/x-www-form-urlencoded',
				origin: this.base,
				accept: 'text/html'
			}
		});
	}

	private absorbCookies(headers: Headers) {
		for (const line of headers.getSetCookie()) {
			const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
			const eq = pair.indexOf('=');
			const name = pair.slice(0, eq);
			const value = pair.slice(eq + 1);
			const expired = attrs.some((a) => {
				const [k = '', v = ''] = a.split('=');
				if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
				if (k.toLowerCase() === 'expires') return new Date(v).getTime() <= Date.now();
				return false;
			});
			if (expired || value === '') this.cookies.delete(name);
			else this.cookies.set(name, value);
		}
	}
}

/** The attributes of the Set-Cookie line for `name` in a response, lower-cased keys. */
export function setCookieAttributes(headers: Headers, name: string): Map<string, string> | null {
	const line = headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
	if (!line) return null;
	const attrs = new Map<string, string>();
	const [pair = '', ...rest] = line.split(';').map((s) => s.trim());
	attrs.set('value', pair.slice(pair.indexOf('=') + 1));
	for (const a of rest) {
		const eq = a.indexOf('=');
		if (eq === -1) attrs.set(a.toLowerCase(), '');
		else attrs.set(a.slice(0, eq).toLowerCase(), a.slice(eq + 1));
	}
	return attrs;
}

let counter = 0;
/** A unique email per call, so tests in one database never collide. */
export function uniqueEmail(label: string): string {
	counter += 1;
	return `${label}-${Date.now().toString(36)}-${counter}@example.com`;
}

/**
 * Waits (bounded) until `count` mails to `to` whose subject matches are in the outbox, and
 * returns them newest first.
 */
export async function waitForMails(
	database: Database,
	to: string,
	subject: RegExp,
	count = 1,
	timeoutMs = 5_000
): Promise<OutboxMailDoc[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const mails = (
			await database.collections.outbox
				.find({ to: to.toLowerCase() })
				.sort({ createdAt: -1 })
				.toArray()
		).filter((m) => subject.test(m.subject));
		if (mails.length >= count) return mails;
		if (Date.now() > deadline) {
			throw new Error(
				`expected ${count} mail(s) to ${to} matching ${subject}, found ${mails.length}`
			);
		}
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** The token in the mail's link to `path` (e.g. /verify-email). */
export function tokenFromMail(mail: OutboxMailDoc, path: string): string {
	const match = new RegExp(`${path}\\?token=([a-z2-7]+)`).exec(mail.text);
	expect(match, `a ${path} link in: ${mail.text}`).not.toBeNull();
	return match![1]!;
}

export function expectApiError(reply: Reply, status: number, code: string, field?: string) {
	expect(reply.status, reply.text).toBe(status);
	expect(reply.headers.get('content-type')).toMatch(/application\/json/);
	expect(reply.json?.error?.code, reply.text).toBe(code);
	expect(typeof reply.json?.error?.message).toBe('string');
	expect(reply.json.error.message.length).toBeGreaterThan(0);
	if (field !== undefined) expect(reply.json.error.field, reply.text).toBe(field);
}

/** The built web app (no sync-server) on a fresh database of its own. */
export interface AuthApp {
	uri: string;
	database: Database;
	web: RunningProcess;
	/** A new "browser" of the app: its own cookie jar, plus any fixed headers. */
	client(fixedHeaders?: Record<string, string>): Client;
	/** Stops the app, then drops and closes the database. */
	stop(): Promise<void>;
}

export async function startAuthApp(
	label: string,
	env: Record<string, string> = {}
): Promise<AuthApp> {
	const { uri, database } = await openTestDatabase(label);
	let web: RunningProcess;
	try {
		web = await startWebApp({ ...env, MONGODB_URI: uri });
	} catch (error) {
		await dropTestDatabase(database);
		throw error;
	}
	return {
		uri,
		database,
		web,
		client: (fixedHeaders = {}) => new Client(web.url, fixedHeaders),
		async stop() {
			await web.stop();
			await dropTestDatabase(database);
		}
	};
}

/**
 * Login limits low enough to reach in a test, with the app trusting one X-Forwarded-For hop (as
 * behind a proxy; adapter-node's ADDRESS_HEADER / XFF_DEPTH) so each request can choose its address.
 */
export function loginLimitEnv(limits: {
	perEmail: number;
	perIp: number;
	windowSeconds: number;
}): Record<string, string> {
	return {
		LOGIN_MAX_PER_EMAIL: String(limits.perEmail),
		LOGIN_MAX_PER_IP: String(limits.perIp),
		LOGIN_WINDOW_SECONDS: String(limits.windowSeconds),
		ADDRESS_HEADER: 'x-forwarded-for',
		XFF_DEPTH: '1'
	};
}

let ipCounter = 0;
/**
 * A client whose requests come from an address no other client of this test file used
 * (`${prefix}.x.y`); the app must run with `loginLimitEnv`.
 */
export function clientFromNewIp(app: AuthApp, prefix: string): Client {
	ipCounter += 1;
	return app.client({
		'x-forwarded-for': `${prefix}.${Math.floor(ipCounter / 250)}.${ipCounter % 250}`
	});
}

/** Registers through the API as `client` (which then holds the session); asserts the 201. */
export async function registerAccount(
	client: Client,
	fields: { email: string; password: string; name: string } & Record<string, unknown>
): Promise<Reply> {
	const reply = await client.post('/api/auth/register', fields);
	expect(reply.status, reply.text).toBe(201);
	return reply;
}
