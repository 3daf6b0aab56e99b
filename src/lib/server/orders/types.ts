// What the order service needs and returns. Plain data, shared by the JSON routes and the pages'
// form actions (which call the service functions directly).
import type { Logger } from '../../shared/log.ts';
import type { Collections } from '../../shared/db.ts';
import type { SyncClient } from '../sync-client.ts';
import type { PartnerNotifier } from './partner-notify.ts';
import type { OrderStatus } from '../../order/status.ts';
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

/** An order as the JSON API and the pages show it: the `orders` index row with ISO times. */
export interface OrderSummary {
	id: string;
	docName: string;
	customerId: string;
	customerName: string;
	partnerId: string | null;
	partnerName: string | null;
	status: OrderStatus;
	/** Integer minor units, delivery fee included. */
	total: number;
	itemCount: number;
	items: Array<{ name: string; quantity: number }>;
	city: string;
	paymentMethod: PaymentMethod | null;
	createdAt: string;
	updatedAt: string;
	claimedAt: string | null;
	deliveredAt: string | null;
	cancelledAt: string | null;
	rating: { stars: number; comment: string } | null;
	conflicts: number;
}

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
