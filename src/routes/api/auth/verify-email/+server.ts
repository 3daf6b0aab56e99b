import type { RequestHandler } from './$types';
import { verifyEmail } from '$lib/server/auth/flows';
import { authServices } from '$lib/server/auth/services';
import { toSessionUser } from '../../../../lib/shared/session';
import { ApiError, apiJson, readJsonBody } from '$lib/server/http';
import { verifyEmailSchema } from '$lib/server/validation/auth';

/** POST {token} → 200 {user}; 400 `invalid_token` when unknown, used or expired. */
export const POST: RequestHandler = async ({ request }) => {
	const { token } = await readJsonBody(request, verifyEmailSchema);
	const user = await verifyEmail(authServices(), token);
	if (!user) {
		throw new ApiError(400, 'invalid_token', 'This link is invalid, used or expired.', 'token');
	}
	return apiJson({ user: toSessionUser(user) });
};
