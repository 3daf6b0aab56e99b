// The order service: what the JSON API routes and the pages' form actions call. Functions take
// an OrderServiceContext (`orderServices()` in the web app) and the signed-in user, and return
// plain data or throw ApiError (mapped to JSON by hooks.server.ts; form actions show `message`).
export { createOrder } from './create.ts';
export { claimOrder } from './claim.ts';
export { cancelOrder } from './cancel.ts';
export { listOrders, getOrder } from './list.ts';
export { orderDayStats } from './day-stats.ts';
export { renderedOrderState } from './rendered-state.ts';
export { setAvailability, partnerProfile } from './partner.ts';
export { toOrderSummary } from './summary.ts';
export { DELIVERY_FEE } from './pricing.ts';
export * from './schemas.ts';
export type * from './types.ts';
export { orderServices } from './services.ts';
