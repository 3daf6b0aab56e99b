import type { RequestHandler } from './$types';
import { startSession } from '$lib/server/auth/cookie';
import { login } from '$lib/server/auth/flows';
import { authServices } from '$lib/server/auth/services';
import { toSessionUser } from '../../../../lib/shared/session';
import { ctx } from '$lib/server/context';
import { apiJson, readJsonBody } from '$lib/server/http';
import { loginSchema } from '$lib/server/validation/auth';

/** POST {email, password} → 200 {user} and the session cookie; 401 / 429 otherwise. */
export const POST: RequestHandler = async ({ request, cookies, getClientAddress }) => {
	const credentials = await readJsonBody(request, loginSchema);
	const services = authServices();
	const user = await login(services, credentials, getClientAddress());
	await startSession(services.collections, cookies, user._id, ctx().config.secureCookies);
	return apiJson({ user: toSessionUser(user) });
};
