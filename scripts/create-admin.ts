// Adds an admin account: `npm run admin:create -- --email ops@example.com --name "Ops"`.
// The password comes from ADMIN_PASSWORD, or from stdin (typed without echo on a terminal, or
// piped: `printf '%s' "$PW" | npm run admin:create -- --email …`). Never from the command line,
// where it would land in shell history and the process list.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createUser } from '../src/lib/server/auth/accounts.ts';
import { connectDatabase } from '../src/lib/shared/db.ts';
import { mongoUri } from '../src/lib/shared/env.ts';
import { ApiError } from '../src/lib/server/http.ts';
import { emailSchema, nameSchema, newPasswordSchema } from '../src/lib/server/validation/auth.ts';

const USAGE = `Usage: npm run admin:create -- --email <email> [--name <name>]
Password: ADMIN_PASSWORD env, or stdin. Database: MONGODB_URI (default local).`;

function fail(message: string, code = 1): never {
	console.error(message);
	process.exit(code);
}

async function readPasswordFromTerminal(prompt: string): Promise<string> {
	const stdin = process.stdin;
	process.stdout.write(prompt);
	stdin.setRawMode(true);
	stdin.resume();
	stdin.setEncoding('utf8');
	return new Promise((resolve) => {
		let value = '';
		const onData = (chunk: string) => {
			for (const ch of chunk) {
				if (ch === '\r' || ch === '\n') {
					stdin.setRawMode(false);
					stdin.pause();
					stdin.off('data', onData);
					process.stdout.write('\n');
					resolve(value);
					return;
				}
				if (ch === '\u0003') {
					stdin.setRawMode(false);
					process.stdout.write('\n');
					fail('Cancelled.', 130);
				}
				if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
				else value += ch;
			}
		};
		stdin.on('data', onData);
	});
}

async function readPasswordFromPipe(): Promise<string> {
	let data = '';
	for await (const chunk of process.stdin) data += chunk;
	return data.split(/\r?\n/)[0] ?? '';
}

async function readPassword(): Promise<string> {
	if (process.env.ADMIN_PASSWORD) return process.env.ADMIN_PASSWORD;
	if (!process.stdin.isTTY) return readPasswordFromPipe();
	const first = await readPasswordFromTerminal('Password for the new admin: ');
	const again = await readPasswordFromTerminal('Repeat it: ');
	if (first !== again) fail('The two passwords are not the same.');
	return first;
}

function check<T>(schema: z.ZodType<T>, value: unknown): T {
	const result = schema.safeParse(value);
	if (!result.success) fail(result.error.issues[0]?.message ?? 'Invalid value.');
	return result.data;
}

async function main() {
	let args;
	try {
		args = parseArgs({
			options: {
				email: { type: 'string' },
				name: { type: 'string' },
				help: { type: 'boolean', short: 'h' }
			}
		}).values;
	} catch (err) {
		fail(`${(err as Error).message}\n${USAGE}`, 2);
	}
	if (args.help) {
		console.log(USAGE);
		return;
	}
	if (!args.email) fail(`--email is required.\n${USAGE}`, 2);
	const email = check(emailSchema, args.email);
	const name = check(nameSchema, args.name ?? 'Administrator');
	const password = check(newPasswordSchema, await readPassword());
	const uri = check(mongoUri, process.env.MONGODB_URI);

	const database = await connectDatabase(uri, { appName: 'dispatch-admin-cli', maxPoolSize: 2 });
	try {
		const user = await createUser(
			database.collections,
			{ email, password, name, role: 'admin' },
			{ emailVerified: true }
		);
		console.log(`Admin created: ${user.email} (id ${user._id})`);
	} catch (err) {
		if (err instanceof ApiError && err.code === 'email_taken') {
			fail(`An account with ${email} already exists; nothing was changed.`);
		}
		throw err;
	} finally {
		await database.close();
	}
}

main().catch((err) => fail(`admin:create failed: ${(err as Error).message}`));
