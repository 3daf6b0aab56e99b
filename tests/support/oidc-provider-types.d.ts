// The few parts of `oidc-provider` (which ships no types) that tests/support/oidc-provider.ts uses.
declare module 'oidc-provider' {
	import type { IncomingMessage, ServerResponse } from 'node:http';

	interface Grant {
		addOIDCScope(scope: string): void;
		addOIDCClaims(claims: string[]): void;
		save(): Promise<string>;
	}
	interface InteractionDetails {
		uid: string;
		prompt: { name: string; details: Record<string, unknown> };
		params: Record<string, unknown>;
		session?: { accountId: string };
		grantId?: string;
	}
	export default class Provider {
		constructor(issuer: string, configuration: Record<string, unknown>);
		callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
		interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
		interactionFinished(
			req: IncomingMessage,
			res: ServerResponse,
			result: Record<string, unknown>,
			options?: { mergeWithLastSubmission?: boolean }
		): Promise<void>;
		Grant: {
			new (properties: { accountId: string; clientId: string }): Grant;
			find(id: string): Promise<Grant | undefined>;
		};
	}
}
