import type { RequestHandler } from './$types';
import { startSession } from '$lib/server/auth/cookie';
import { registerAccount } from '$lib/server/auth/flows';
import { authServices } from '$lib/server/auth/services';
import { toSessionUser } from '../../../../lib/shared/session';
import { ctx } from '$lib/server/context';
import { apiJson, readJsonBody } from '$lib/server/http';
import { registerSchema } from '$lib/server/validation/auth';

/** POST {email, password, name, role?, partner?} → 201 {user} and the session cookie. */
export const POST: RequestHandler = async ({ request, cookies }) => {
	const input = await readJsonBody(request, registerSchema);
	const services = authServices();
	const user = await registerAccount(services, input);
	await startSession(services.collections, cookies, user._id, ctx().config.secureCookies);
	return apiJson({ user: toSessionUser(user) }, { status: 201 });
};
