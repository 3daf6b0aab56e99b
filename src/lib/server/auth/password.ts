// Password hashing with argon2id (OWASP's baseline: 19 MiB memory, 2 passes, 1 lane).
import { hash, verify, type Algorithm } from '@node-rs/argon2';

const ARGON2ID = 2 as Algorithm; // `Algorithm` is a const enum, which isolated modules can't read

const OPTIONS = {
	algorithm: ARGON2ID,
	memoryCost: 19456,
	timeCost: 2,
	parallelism: 1,
	outputLen: 32
};

export function hashPassword(password: string): Promise<string> {
	return hash(password, OPTIONS);
}

/**
 * False for a wrong password and for a stored hash that is not a valid argon2 string. An account
 * with no password (made with Google) costs a dummy verification, like an unknown email.
 */
export async function verifyPassword(
	passwordHash: string | null,
	password: string
): Promise<boolean> {
	if (passwordHash === null) return verifyAgainstDummy(password);
	try {
		return await verify(passwordHash, password);
	} catch {
		return false;
	}
}

let dummyHash: Promise<string> | null = null;

/**
 * Burns the same time as a real verification, for logins with an unknown email, so response
 * times don't tell which emails have accounts.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
	dummyHash ??= hashPassword(`dummy-${crypto.randomUUID()}`);
	await verifyPassword(await dummyHash, password);
	return false;
}
