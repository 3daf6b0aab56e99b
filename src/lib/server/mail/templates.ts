// The account mails. Plain text first (it is what the outbox page and most scanners read); the
// HTML version carries the same words with the link as a button.
import type { Mail } from './transport.ts';

function escapeHtml(s: string): string {
	return s
		.replaceAll('&', '&amp;')
		.replaceAll('<', '&lt;')
		.replaceAll('>', '&gt;')
		.replaceAll('"', '&quot;')
		.replaceAll("'", '&#39;');
}

function layout(paragraphs: string[], link: { href: string; label: string }, footer: string) {
	const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
	return `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#16201b;line-height:1.5">
${body}
<p><a href="${escapeHtml(link.href)}" style="display:inline-block;padding:10px 16px;background:#0f5132;color:#fff;border-radius:6px;text-decoration:none;font-weight:600">${escapeHtml(link.label)}</a></p>
<p style="color:#4d5a53;font-size:14px">${escapeHtml(footer)}<br>${escapeHtml(link.href)}</p>
</body></html>`;
}

export function verificationMail(to: string, name: string, link: string): Mail {
	const intro = [`Hi ${name},`, 'Please confirm your email address for your Dispatch account.'];
	const footer =
		'The link works once and expires in 48 hours. If you did not sign up, ignore this mail.';
	return {
		to,
		subject: 'Confirm your email for Dispatch',
		text: `${intro.join('\n\n')}\n\nConfirm your email: ${link}\n\n${footer}\n`,
		html: layout(intro, { href: link, label: 'Confirm my email' }, footer)
	};
}

export function passwordResetMail(to: string, name: string, link: string): Mail {
	const intro = [`Hi ${name},`, 'Someone asked to reset the password of your Dispatch account.'];
	const footer =
		'The link works once and expires in 1 hour. If it was not you, ignore this mail: your password stays the same.';
	return {
		to,
		subject: 'Reset your Dispatch password',
		text: `${intro.join('\n\n')}\n\nChoose a new password: ${link}\n\n${footer}\n`,
		html: layout(intro, { href: link, label: 'Choose a new password' }, footer)
	};
}
