// The web app's AuthServices, built once from the server context.
import { ctx } from '../context.ts';
import { createMailTransport, type MailTransport } from '../mail/transport.ts';
import type { AuthServices } from './flows.ts';

let mail: MailTransport | null = null;

export function authServices(): AuthServices {
	const { config, database, log } = ctx();
	mail ??= createMailTransport(config, database.collections);
	return {
		collections: database.collections,
		mail,
		origin: config.origin,
		log,
		loginLimits: config.loginLimits,
		mailLimits: config.mailLimits
	};
}
