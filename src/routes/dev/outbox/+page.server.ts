import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { ctx } from '$lib/server/context';
import { latestOutboxMails, linksIn } from '$lib/server/mail/outbox';

// The local mailbox for development: with no SMTP_URL, account mails are stored instead of sent
// and listed here. Never served in production (the links in them are live credentials).
export const load: PageServerLoad = async ({ url }) => {
	const { config, database } = ctx();
	if (config.production) error(404, 'Not found');
	const to = url.searchParams.get('to')?.trim().toLowerCase() || null;
	const mails = await latestOutboxMails(database.collections, 50, to);
	return {
		to,
		smtp: config.smtpUrl !== null,
		mails: mails.map((mail) => ({
			id: mail._id,
			to: mail.to,
			subject: mail.subject,
			text: mail.text,
			links: linksIn(mail.text),
			createdAt: mail.createdAt.toISOString()
		}))
	};
};
