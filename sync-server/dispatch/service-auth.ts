import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ID_PATTERN } from '../../src/lib/order/index.ts';
import { HttpError } from './http-json.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Checks `Authorization: Bearer <secret>` in constant time (both sides hashed first, so the
 * comparison does not leak the secret's length either). Cookies never count.
 */
export function bearerMatches(header: string | undefined, secret: string): boolean {
	if (!header) return false;
	const match = /^Bearer (.+)$/.exec(header);
	if (!match) return false;
	return timingSafeEqual(digest(match[1]!), digest(secret));
}

/**
 * The web app's internal request `POST /internal/<kind>/<id>`: POST only (405), the service
 * secret (401), a well-formed id (400 naming `field`). Returns the id; throws HttpError.
 */
export function authorizeInternalRequest(
	request: IncomingMessage,
	secret: string,
	rawId: string,
	field: string
): string {
	if (request.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'use POST');
	if (!bearerMatches(request.headers.authorization, secret)) {
		throw new HttpError(401, 'unauthorized', 'a valid service token is required');
	}
	let id: string;
	try {
		id = decodeURIComponent(rawId);
	} catch {
		throw new HttpError(400, 'invalid', `bad ${field}`, field);
	}
	if (!ID_PATTERN.test(id)) throw new HttpError(400, 'invalid', `bad ${field}`, field);
	return id;
}
