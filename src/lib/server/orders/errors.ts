// Errors of the order service. All are ApiErrors, so routes answer them as JSON and form actions
// can show `message` (and `field`) as they are.
import { ApiError } from '../http.ts';
import { SyncServiceError } from '../sync-client.ts';

export function notFound(): ApiError {
	return new ApiError(404, 'not_found', 'There is no such order.');
}

export function syncUnavailable(): ApiError {
	return new ApiError(
		503,
		'sync_unavailable',
		'The order service is briefly unavailable. Nothing was changed; please try again.',
		undefined,
		{ 'retry-after': '2' }
	);
}

/**
 * True for any failure of the service channel: unreachable, not durable, or a refusal the caller
 * did not expect (logged by the caller). The operation was rolled back, so the client may retry.
 */
export function isSyncFailure(error: unknown): boolean {
	return error instanceof SyncServiceError;
}
