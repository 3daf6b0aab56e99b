// SHA-256 of a string's UTF-8 bytes, by Node's own (native, one-shot) implementation: a reconnect
// storm hashes two tokens per socket, where the pure-JS one costs tens of microseconds each.
import { hash } from 'node:crypto';

export function sha256(text: string): Uint8Array {
	return hash('sha256', text, 'buffer');
}

export function sha256Hex(text: string): string {
	return hash('sha256', text, 'hex');
}
