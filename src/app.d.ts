import type { Session, SessionUser } from './lib/shared/session';

declare global {
	namespace App {
		interface Error {
			message: string;
			code?: string;
		}
		interface Locals {
			user: SessionUser | null;
			session: Session | null;
		}
	}
}

export {};
