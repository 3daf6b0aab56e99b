// The local outbox: mail is stored in the `outbox` collection instead of being sent. The
// /dev/outbox page lists it (outside production) and the tests read tokens from it.
import type { Collections, OutboxMailDoc } from '../../shared/db.ts';
import { randomId } from '../../shared/ids.ts';
import type { MailTransport } from './transport.ts';

export function createOutboxTransport(collections: Collections): MailTransport {
	return {
		kind: 'outbox',
		async send(mail) {
			await collections.outbox.insertOne({ _id: randomId(), ...mail, createdAt: new Date() });
		}
	};
}

/** Newest first; optionally only the mails to one address. */
export function latestOutboxMails(
	collections: Collections,
	limit = 50,
	to: string | null = null
): Promise<OutboxMailDoc[]> {
	return collections.outbox
		.find(to ? { to } : {})
		.sort({ createdAt: -1 })
		.limit(limit)
		.toArray();
}

/** The http(s) links in a plain-text mail body, in order. */
export function linksIn(text: string): string[] {
	return [...text.matchAll(/https?:\/\/[^\s<>"')]+/g)].map((m) => m[0]);
}
