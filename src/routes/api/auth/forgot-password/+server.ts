import type { RequestHandler } from './$types';
import { limitMailRequests, requestPasswordReset } from '$lib/server/auth/flows';
import { authServices } from '$lib/server/auth/services';
import { apiJson, readJsonBody } from '$lib/server/http';
import { forgotPasswordSchema } from '$lib/server/validation/auth';

/** POST {email} → 202, the same whether or not the account exists. */
export const POST: RequestHandler = async ({ request, getClientAddress }) => {
	const { email } = await readJsonBody(request, forgotPasswordSchema);
	const services = authServices();
	await limitMailRequests(services, email, getClientAddress());
	requestPasswordReset(services, email);
	return apiJson(
		{ ok: true, message: 'If an account uses this email, a reset link is on its way.' },
		{ status: 202 }
	);
};
