// Outgoing mail goes through one small interface so the app doesn't care whether it lands in a
// real mailbox (SMTP) or in the local outbox collection that dev tools and tests read.
import type { Collections } from '../../shared/db.ts';
import { createOutboxTransport } from './outbox.ts';
import { createSmtpTransport } from './smtp.ts';

export interface Mail {
	to: string;
	subject: string;
	text: string;
	html: string;
}

export interface MailTransport {
	readonly kind: 'smtp' | 'outbox';
	send(mail: Mail): Promise<void>;
}

/** SMTP via nodemailer when `smtpUrl` is set, otherwise the local outbox. */
export function createMailTransport(
	options: { smtpUrl: string | null; mailFrom: string },
	collections: Collections
): MailTransport {
	return options.smtpUrl
		? createSmtpTransport(options.smtpUrl, options.mailFrom)
		: createOutboxTransport(collections);
}
