// Progressive enhancement for the account forms: while a submit is in flight `pending` is true
// (the page disables its button and says "Logging in…"); after a failed submit, focus moves to
// the first invalid field, or to the form's message when no field is to blame.
import { enhance } from '$app/forms';
import type { SubmitFunction } from '@sveltejs/kit';
import { tick } from 'svelte';

export function focusFirstProblem(form: HTMLFormElement): void {
	const target =
		form.querySelector<HTMLElement>('[aria-invalid="true"]') ??
		form.querySelector<HTMLElement>('[data-form-message]');
	target?.focus();
}

export class PendingForm {
	pending = $state(false);

	/** `clearPasswords`: empty password inputs after a failure (the login form's wrong guess). */
	constructor(private readonly options: { clearPasswords?: boolean } = {}) {}

	private submit: SubmitFunction = () => {
		this.pending = true;
		return async ({ update, result, formElement }) => {
			try {
				// Keep what the user typed (inputs aren't reset to their server-rendered values).
				await update({ reset: false });
			} finally {
				this.pending = false;
			}
			if (result.type === 'failure') {
				if (this.options.clearPasswords) {
					for (const input of formElement.querySelectorAll<HTMLInputElement>(
						'input[type="password"]'
					)) {
						input.value = '';
					}
				}
				await tick();
				focusFirstProblem(formElement);
			}
		};
	};

	/**
	 * The form action: `<form method="POST" use:form.enhance>`. Marks the form `data-enhanced`
	 * once JavaScript has taken it over (browser tests wait for that).
	 */
	enhance = (form: HTMLFormElement) => {
		const enhanced = enhance(form, this.submit);
		form.dataset.enhanced = 'true';
		return {
			destroy() {
				delete form.dataset.enhanced;
				enhanced.destroy();
			}
		};
	};
}
