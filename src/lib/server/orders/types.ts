// What the order service needs and returns. Plain data, shared by the JSON routes and the pages'
// form actions (which call the service functions directly).
import type { Logger } from '../../shared/log.ts';
import type { Collections, OrderIndexDoc } from '../../shared/db.ts';
import type { SyncClient } from '../sync-client.ts';
import type { PartnerNotifier } from './partner-notify.ts';
import type { PaymentMethod, Role, Vehicle } from '../../order/index.ts';

/** Everything the order service uses; `orderServices()` builds it from the web app's context. */
export interface OrderServiceContext {
	collections: Collections;
	sync: SyncClient;
	partners: PartnerNotifier;
	log: Logger;
	requireEmailVerification: boolean;
	/** Delivery fee in minor units added to every order (0 = free delivery). */
	deliveryFee: number;
	/** The shop's currency (ISO 4217), recorded in every order placed. */
	currency: string;
	/** The payment methods the shop takes (PAYMENT_METHODS); others are refused. */
	paymentMethods: readonly PaymentMethod[];
}

/** The caller, as the session knows them (a `SessionUser` fits). */
export interface OrderActor {
	id: string;
	name: string;
	role: Role;
	emailVerified: boolean;
	partner?: { phone: string; vehicle: Vehicle; available: boolean };
}

/** A row's times as ISO strings (JSON). */
type WithIsoTimes<Row> = {
	[K in keyof Row]: Row[K] extends Date
		? string
		: Row[K] extends Date | null
			? string | null
			: Row[K];
};

/**
 * An order as the JSON API and the pages show it: the `orders` index row with ISO times, its
 * `id` and document name, and every field present (null or empty where the row has none).
 */
export type OrderSummary = WithIsoTimes<
	Omit<OrderIndexDoc, '_id' | 'items' | 'paymentMethod' | 'currency'>
> & {
	id: string;
	docName: string;
	items: NonNullable<OrderIndexDoc['items']>;
	paymentMethod: PaymentMethod | null;
	/** ISO 4217: the order's own, or the shop's for an order stored without one. */
	currency: string;
};

export interface CreatedOrder {
	id: string;
	docName: string;
	/** True when an earlier request with the same idempotency key created it. */
	replayed: boolean;
}

export interface OrderPage {
	orders: OrderSummary[];
	/** Pass back as `cursor` for the next (older) page; null on the last page. */
	nextCursor: string | null;
}

export interface PartnerProfileView {
	id: string;
	name: string;
	vehicle: Vehicle | null;
	phone: string | null;
	available: boolean;
	deliveredCount: number;
	/** Mean of the stars of rated deliveries, rounded to 2 decimals; null before the first rating. */
	ratingAverage: number | null;
	ratingCount: number;
	/** Orders assigned to the partner that are not final yet. */
	activeCount: number;
}
