// The order service: what the JSON API routes and the pages' form actions call. Functions take
// an OrderServiceContext (`orderServices()` in the web app) and the signed-in user, and return
// plain data or throw ApiError (mapped to JSON by hooks.server.ts; form actions show `message`).
export { createOrder, type CreateOrderOptions } from './create.ts';
export { claimOrder } from './claim.ts';
export { cancelOrder } from './cancel.ts';
export { listOrders, getOrder, maySeeOrder } from './list.ts';
export { orderDayStats, dayStatsOf, type OrderDayStats } from './day-stats.ts';
export { renderedOrderState } from './rendered-state.ts';
export { setAvailability, partnerProfile, partnerStats } from './partner.ts';
export { computePartnerStats, type PartnerStats } from '../../shared/partner-stats.ts';
export { toOrderSummary } from './summary.ts';
export { DELIVERY_FEE, priceOrder, mergeLines } from './pricing.ts';
export * from './schemas.ts';
export type * from './types.ts';
export { orderServices } from './services.ts';
