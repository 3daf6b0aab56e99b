// The order API's limits (src/lib/server/orders/schemas.ts: MAX_ORDER_LINES, MAX_LINE_QUANTITY),
// for the browser, which may not import server modules. cart.test.ts checks they stay equal.
export const CART_MAX_LINES = 50;
export const CART_MAX_QUANTITY = 50;
