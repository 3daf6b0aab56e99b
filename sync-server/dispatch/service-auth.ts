import { createHash, timingSafeEqual } from 'node:crypto';

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
