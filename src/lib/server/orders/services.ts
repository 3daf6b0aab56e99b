// The web app's OrderServiceContext, built once from the server context (like authServices).
import { ctx } from '../context.ts';
import { createSyncClient, type SyncClient } from '../sync-client.ts';
import { DELIVERY_FEE } from './pricing.ts';
import { createPartnerNotifier, type PartnerNotifier } from './partner-notify.ts';
import type { OrderServiceContext } from './types.ts';

let sync: SyncClient | null = null;
let partners: PartnerNotifier | null = null;

export function orderServices(): OrderServiceContext {
	const { config, database, log } = ctx();
	const endpoint = { baseUrl: config.syncInternalUrl, secret: config.syncSecret };
	sync ??= createSyncClient(endpoint);
	partners ??= createPartnerNotifier(endpoint);
	return {
		collections: database.collections,
		sync,
		partners,
		log,
		requireEmailVerification: config.requireEmailVerification,
		deliveryFee: DELIVERY_FEE,
		currency: config.currency,
		paymentMethods: config.paymentMethods
	};
}
