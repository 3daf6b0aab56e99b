// Helpers for form actions: read text fields out of FormData and turn schema or ApiError
// failures into the `{values, errors, message}` shape the pages render. The action passes the
// result to SvelteKit's `fail(status, data)`.
import type { z } from 'zod';
import { ApiError, fieldErrors } from '../http.ts';

export interface FormFailure<V extends Record<string, string>> {
	/** What the user typed, to refill the form (never passwords). */
	values: Partial<V>;
	/** First problem per input name, e.g. `{email: '…', 'partner.phone': '…'}`. */
	errors: Record<string, string>;
	/** A form-level message for the error summary. */
	message: string;
}

/** The named text fields of a form; missing ones and file uploads become ''. */
export function formText<K extends string>(form: FormData, names: readonly K[]): Record<K, string> {
	const out = {} as Record<K, string>;
	for (const name of names) {
		const value = form.get(name);
		out[name] = typeof value === 'string' ? value : '';
	}
	return out;
}

export function schemaFailure<V extends Record<string, string>>(
	error: z.ZodError,
	values: Partial<V>
): { status: 400; data: FormFailure<V> } {
	const errors = fieldErrors(error);
	const count = Object.keys(errors).length;
	return {
		status: 400,
		data: {
			values,
			errors,
			message:
				count === 1
					? 'Please fix the highlighted field.'
					: `Please fix the ${count} highlighted fields.`
		}
	};
}

/** An ApiError from a flow (409 email taken, 401, 429…) as a form failure; rethrows anything else. */
export function apiErrorFailure<V extends Record<string, string>>(
	err: unknown,
	values: Partial<V>
): { status: number; data: FormFailure<V> } {
	if (!(err instanceof ApiError)) throw err;
	return {
		status: err.status,
		data: { values, errors: err.field ? { [err.field]: err.message } : {}, message: err.message }
	};
}

/**
 * A sign-up form's role and partner fields (RoleChoice and PartnerFields) as the sign-up schemas
 * read them: no choice is a customer; the delivery details count only for a partner.
 */
export function roleFields(values: {
	role: string;
	'partner.phone': string;
	'partner.vehicle': string;
}): { role: string; partner?: { phone: string; vehicle: string } } {
	const role = values.role || 'customer';
	return role === 'partner'
		? { role, partner: { phone: values['partner.phone'], vehicle: values['partner.vehicle'] } }
		: { role };
}
