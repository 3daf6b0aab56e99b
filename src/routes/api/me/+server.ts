import type { RequestHandler } from './$types';
import { requireUser } from '$lib/server/auth/guards';
import { apiJson } from '$lib/server/http';

/** GET → {user: {id, email, name, role, emailVerified, partner?}} or 401 `unauthenticated`. */
export const GET: RequestHandler = ({ locals }) => apiJson({ user: requireUser(locals) });
