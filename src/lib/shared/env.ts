// Environment parsing shared by the web app and the sync-server. Every variable is validated at
// boot; a bad value stops the process with one line per problem instead of failing later.
import { z } from 'zod';

const DEFAULT_MONGODB_URI = 'mongodb://127.0.0.1:27017/dispatch';
const DEV_SYNC_SECRET = 'dev-only-sync-secret-change-me';

export class ConfigError extends Error {
	constructor(public readonly problems: string[]) {
		super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
		this.name = 'ConfigError';
	}
}

export function parseEnv<T extends z.ZodType>(
	schema: T,
	env: Record<string, string | undefined>
): z.output<T> {
	const result = schema.safeParse(env);
	if (result.success) return result.data;
	throw new ConfigError(
		result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`)
	);
}

/** Empty strings count as unset, so `FOO=` in a shell or compose file falls back to the default. */
export const optional = <T extends z.ZodType>(schema: T) =>
	z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

export const port = (fallback: number) =>
	z.preprocess(
		(v) => (v === '' || v === undefined ? fallback : Number(v)),
		z.number({ error: 'must be a number' }).int().min(1).max(65535)
	);

const POSITIVE_WHOLE = 'must be a positive whole number';

export const positiveInt = (fallback: number) =>
	z.preprocess(
		(v) => (v === '' || v === undefined ? fallback : Number(v)),
		z.number({ error: 'must be a number' }).int(POSITIVE_WHOLE).positive(POSITIVE_WHOLE)
	);

export const nonNegativeInt = (fallback: number) =>
	z.preprocess(
		(v) => (v === '' || v === undefined ? fallback : Number(v)),
		z
			.number({ error: 'must be a number' })
			.int('must be a whole number')
			.min(0, 'must be 0 or more')
	);

export const booleanFlag = (fallback: boolean) =>
	z.preprocess(
		(v) => {
			if (v === '' || v === undefined) return fallback;
			if (typeof v === 'string' && /^(1|true|yes|on)$/i.test(v)) return true;
			if (typeof v === 'string' && /^(0|false|no|off)$/i.test(v)) return false;
			return v;
		},
		z.boolean({ error: 'must be true or false' })
	);

export const mongoUri = z.preprocess(
	(v) => (v === '' || v === undefined ? DEFAULT_MONGODB_URI : v),
	z.string().regex(/^mongodb(\+srv)?:\/\/.+/, 'must be a mongodb:// or mongodb+srv:// URI')
);

/** A comma-separated list of origins like `https://shop.example.com,http://localhost:3000`. */
export const originList = (fallback: string) =>
	z.preprocess(
		(v) => (v === '' || v === undefined ? fallback : v),
		z
			.string()
			.transform((s) =>
				s
					.split(',')
					.map((o) => o.trim())
					.filter(Boolean)
			)
			.pipe(
				z
					.array(
						z
							.string()
							.url('each origin must be a URL like http://localhost:3000')
							.transform((o) => new URL(o).origin)
					)
					.min(1)
			)
	);

export const logLevel = z.preprocess(
	(v) => (v === '' || v === undefined ? 'info' : v),
	z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
);

/** The secret that authenticates the web app to the sync-server's service channel. */
export const syncSecret = (production: boolean) =>
	z.preprocess(
		(v) => (v === '' || v === undefined ? (production ? undefined : DEV_SYNC_SECRET) : v),
		z
			.string({ error: 'is required in production (a random string of 32+ characters)' })
			.min(16, 'must be at least 16 characters')
	);

/** An ISO 4217 currency code the runtime can format, like `USD`, `EUR` or `INR`. */
export const currencyCode = (fallback: string) =>
	z.preprocess(
		(v) => (v === '' || v === undefined ? fallback : typeof v === 'string' ? v.toUpperCase() : v),
		z
			.string()
			.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code like USD, EUR or INR')
			.pipe(z.string())
			.refine(
				(code) => Intl.supportedValuesOf('currency').includes(code),
				'is not a currency this runtime knows (ISO 4217, like USD, EUR or INR)'
			)
	);

/** A comma-separated list of choices from `allowed`, at least one, each once. */
export const choiceList = <T extends string>(allowed: readonly T[], fallback: string) =>
	z.preprocess(
		(v) => (v === '' || v === undefined ? fallback : v),
		z
			.string()
			.transform((s) =>
				s
					.split(',')
					.map((part) => part.trim().toLowerCase())
					.filter(Boolean)
			)
			.pipe(
				z
					.array(
						z.enum(allowed as [T, ...T[]], { error: `each must be one of ${allowed.join(', ')}` })
					)
					.min(1, `must name at least one of ${allowed.join(', ')}`)
					.refine((list) => new Set(list).size === list.length, 'must not name one twice')
			)
	);
