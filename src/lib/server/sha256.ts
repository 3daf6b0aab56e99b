// SHA-256 of a string's UTF-8 bytes, by Node's own (native) implementation: a reconnect storm
// hashes two tokens per socket, where the pure-JS one costs tens of microseconds each.
import { createHash } from 'node:crypto';

export function sha256(text: string): Uint8Array {
	return createHash('sha256').update(text, 'utf8').digest();
}

export function sha256Hex(text: string): string {
	return createHash('sha256').update(text, 'utf8').digest('hex');
}
