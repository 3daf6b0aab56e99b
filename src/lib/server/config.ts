// The web app's configuration, validated once at boot (see hooks.server.ts `init`).
import { z } from 'zod';
import { PAYMENT_METHODS } from '../order/schema.ts';
import {
	booleanFlag,
	choiceList,
	currencyCode,
	logLevel,
	mongoUri,
	optional,
	parseEnv,
	positiveInt,
	syncSecret
} from '../shared/env.ts';

/**
 * Google's issuer; AUTH_GOOGLE_ISSUER names any other OpenID Connect provider.
 * @internal for tests: config.test.ts
 */
export const GOOGLE_ISSUER = 'https://accounts.google.com';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** https, or http on this machine (a test provider). */
function isSecureIssuer(value: string): boolean {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return true; // .url() has said what is wrong
	}
	if (url.protocol === 'https:') return true;
	return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

function schema(production: boolean) {
	return z
		.object({
			NODE_ENV: optional(z.string()),
			ORIGIN: optional(
				z.string().url('must be the public URL of the web app, e.g. https://dispatch.example.com')
			),
			MONGODB_URI: mongoUri,
			DB_TIMEOUT_MS: positiveInt(3_000),
			SYNC_URL: optional(z.string().regex(/^wss?:\/\/.+/, 'must be a ws:// or wss:// URL')),
			SYNC_INTERNAL_URL: optional(
				z.string().regex(/^https?:\/\/.+/, 'must be an http:// or https:// URL')
			),
			SYNC_PORT: optional(z.string().regex(/^\d+$/, 'must be a number')),
			SYNC_SECRET: syncSecret(production),
			ADMIN_EMAIL: optional(z.string().email('must be an email address')),
			ADMIN_PASSWORD: optional(z.string().min(10, 'must be at least 10 characters')),
			REQUIRE_EMAIL_VERIFICATION: booleanFlag(false),
			SMTP_URL: optional(z.string().regex(/^smtps?:\/\/.+/, 'must be an smtp:// or smtps:// URL')),
			MAIL_FROM: optional(z.string().min(3)),
			LOGIN_MAX_PER_IP: positiveInt(30),
			LOGIN_MAX_PER_EMAIL: positiveInt(10),
			LOGIN_WINDOW_SECONDS: positiveInt(15 * 60),
			LOGIN_DELAY_MS: positiveInt(1_000),
			AUTH_GOOGLE_ID: optional(z.string().min(1).max(500)),
			AUTH_GOOGLE_SECRET: optional(z.string().min(1).max(500)),
			AUTH_GOOGLE_ISSUER: optional(
				z
					.string()
					.url('must be the URL of an OpenID Connect issuer, e.g. https://accounts.google.com')
					.refine(
						isSecureIssuer,
						'must be an https:// URL (http:// only for 127.0.0.1, ::1 or localhost)'
					)
			),
			CURRENCY: currencyCode('USD'),
			PAYMENT_METHODS: choiceList(PAYMENT_METHODS, 'cod,card'),
			BOARD_PENDING_ALERT_MINUTES: positiveInt(10),
			LOG_LEVEL: logLevel
		})
		.superRefine((env, ctx) => {
			if (Boolean(env.ADMIN_EMAIL) !== Boolean(env.ADMIN_PASSWORD)) {
				ctx.addIssue({
					code: 'custom',
					path: [env.ADMIN_EMAIL ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL'],
					message: 'ADMIN_EMAIL and ADMIN_PASSWORD must be set together'
				});
			}
			if (Boolean(env.AUTH_GOOGLE_ID) !== Boolean(env.AUTH_GOOGLE_SECRET)) {
				ctx.addIssue({
					code: 'custom',
					path: [env.AUTH_GOOGLE_ID ? 'AUTH_GOOGLE_SECRET' : 'AUTH_GOOGLE_ID'],
					message: 'AUTH_GOOGLE_ID and AUTH_GOOGLE_SECRET must be set together'
				});
			}
			if (env.PAYMENT_METHODS.includes('upi') && env.CURRENCY !== 'INR') {
				ctx.addIssue({
					code: 'custom',
					path: ['PAYMENT_METHODS'],
					message: `upi is paid in Indian rupees: offer it only with CURRENCY=INR (CURRENCY is ${env.CURRENCY})`
				});
			}
		});
}

export function loadWebConfig(env: Record<string, string | undefined> = process.env) {
	const production = env.NODE_ENV === 'production';
	const e = parseEnv(schema(production), env);
	const syncPort = e.SYNC_PORT ?? '3001';
	const origin = e.ORIGIN ?? 'http://localhost:3000';
	return {
		production,
		origin,
		secureCookies: origin.startsWith('https://'),
		mongodbUri: e.MONGODB_URI,
		/**
		 * How long a request waits for an unreachable database before it is answered with 503
		 * (the driver's serverSelectionTimeoutMS).
		 */
		dbTimeoutMs: e.DB_TIMEOUT_MS,
		/** Where browsers connect to the sync-server (returned by GET /api/config). */
		syncUrl: e.SYNC_URL ?? `ws://${new URL(origin).hostname}:${syncPort}`,
		/** Where this server reaches the sync-server's service channel. */
		syncInternalUrl: e.SYNC_INTERNAL_URL ?? `http://127.0.0.1:${syncPort}`,
		syncSecret: e.SYNC_SECRET,
		admin:
			e.ADMIN_EMAIL && e.ADMIN_PASSWORD
				? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD }
				: null,
		requireEmailVerification: e.REQUIRE_EMAIL_VERIFICATION,
		smtpUrl: e.SMTP_URL ?? null,
		mailFrom: e.MAIL_FROM ?? 'Dispatch <no-reply@dispatch.local>',
		/** Failed logins (only failures count) per address and per account, per window. */
		loginLimits: {
			perIp: e.LOGIN_MAX_PER_IP,
			perEmail: e.LOGIN_MAX_PER_EMAIL,
			windowSeconds: e.LOGIN_WINDOW_SECONDS,
			delayMs: e.LOGIN_DELAY_MS
		},
		/** Account mails (reset links, new verification links) per address and per email. */
		mailLimits: { perIp: 20, perEmail: 5, windowSeconds: e.LOGIN_WINDOW_SECONDS },
		/**
		 * "Continue with Google" (OpenID Connect), or null when AUTH_GOOGLE_ID is unset (the
		 * button is hidden). The provider calls back to `redirectUri`, which must be registered.
		 */
		google:
			e.AUTH_GOOGLE_ID && e.AUTH_GOOGLE_SECRET
				? {
						clientId: e.AUTH_GOOGLE_ID,
						clientSecret: e.AUTH_GOOGLE_SECRET,
						issuer: e.AUTH_GOOGLE_ISSUER ?? GOOGLE_ISSUER,
						redirectUri: new URL('/login/google/callback', origin).toString()
					}
				: null,
		/** The shop's currency (ISO 4217); every amount is in its minor units. */
		currency: e.CURRENCY,
		/** The payment methods checkout offers, in this order (all paid on delivery). */
		paymentMethods: e.PAYMENT_METHODS,
		/** The board highlights orders pending longer than this. */
		boardPendingAlertMinutes: e.BOARD_PENDING_ALERT_MINUTES,
		logLevel: e.LOG_LEVEL
	};
}

export type WebConfig = ReturnType<typeof loadWebConfig>;
