import type { RequestHandler } from './$types';
import { resetPassword } from '$lib/server/auth/flows';
import { authServices } from '$lib/server/auth/services';
import { ApiError, readJsonBody } from '$lib/server/http';
import { resetPasswordSchema } from '$lib/server/validation/auth';

/** POST {token, password} → 204; every session of that user is signed out. */
export const POST: RequestHandler = async ({ request }) => {
	const { token, password } = await readJsonBody(request, resetPasswordSchema);
	const user = await resetPassword(authServices(), token, password);
	if (!user) {
		throw new ApiError(400, 'invalid_token', 'This link is invalid, used or expired.', 'token');
	}
	return new Response(null, { status: 204 });
};
