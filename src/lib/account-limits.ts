// The bounds of an account's fields: the server's validation (src/lib/server/validation) enforces
// them and the forms say them. A person's name becomes an order's customer or partner name, so it
// has the order document's bound.
import { ORDER_LIMITS } from './order/schema.ts';

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;
export const EMAIL_MAX = 254;
export const NAME_MAX = ORDER_LIMITS.personName;
/** A phone number as people type it (7 to 15 digits with spaces, dashes and brackets). */
export const PHONE_MAX = 25;
