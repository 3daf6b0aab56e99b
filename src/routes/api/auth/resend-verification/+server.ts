import type { RequestHandler } from './$types';
import { limitMailRequests, sendVerificationMail } from '$lib/server/auth/flows';
import { requireUser } from '$lib/server/auth/guards';
import { authServices } from '$lib/server/auth/services';
import { apiJson } from '$lib/server/http';

/** POST → 202 and a fresh verification mail; 200 {alreadyVerified: true} when there is nothing to do. */
export const POST: RequestHandler = async ({ locals, getClientAddress }) => {
	const me = requireUser(locals);
	if (me.emailVerified) return apiJson({ ok: true, alreadyVerified: true });
	const services = authServices();
	await limitMailRequests(services, me.email, getClientAddress());
	const user = await services.collections.users.findOne({ _id: me.id });
	if (user) await sendVerificationMail(services, user);
	return apiJson({ ok: true }, { status: 202 });
};
