import { createTransport } from 'nodemailer';
import type { MailTransport } from './transport.ts';

/** SMTP through nodemailer; `url` is e.g. `smtps://user:pass@smtp.example.com:465`. */
export function createSmtpTransport(url: string, from: string): MailTransport {
	const transporter = createTransport(url);
	return {
		kind: 'smtp',
		async send(mail) {
			await transporter.sendMail({ from, ...mail });
		}
	};
}
