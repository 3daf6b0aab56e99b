import pino from 'pino';

/** Structured JSON logs. Cookies, tokens and passwords are never logged: see `redact`. */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL || 'info') {
	return pino({
		name,
		level,
		redact: {
			paths: [
				'password',
				'*.password',
				'token',
				'*.token',
				'cookie',
				'*.cookie',
				'headers.cookie',
				'req.headers.cookie',
				'authorization',
				'*.authorization'
			],
			censor: '[redacted]'
		}
	});
}

export type Logger = ReturnType<typeof createLogger>;
