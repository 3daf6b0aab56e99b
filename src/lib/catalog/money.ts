// Money is integer minor units everywhere. The shop's currency is
// configured (CURRENCY, US dollars by default: one unit is one cent); the root layout sets it for
// every page from the server's config, so formatting is the only place that knows about it and
// about the decimal point.
/** @internal for tests: money.test.ts */
export const DEFAULT_CURRENCY = 'USD';
export const LOCALE = 'en-US';

let currency = DEFAULT_CURRENCY;

/** The shop's currency (ISO 4217), as configured. */
export function shopCurrency(): string {
	return currency;
}

/** Called with the configured currency (the server at boot, every page through the layout). */
export function setShopCurrency(code: string): void {
	currency = code;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(currency: string, locale: string): Intl.NumberFormat {
	const key = `${locale}|${currency}`;
	let f = formatters.get(key);
	if (!f) {
		f = new Intl.NumberFormat(locale, { style: 'currency', currency });
		formatters.set(key, f);
	}
	return f;
}

/** Formats an amount in minor units, e.g. `formatMoney(1250)` → `$12.50`. */
export function formatMoney(minor: number, code = currency, locale = LOCALE): string {
	if (!Number.isSafeInteger(minor)) throw new RangeError(`money must be an integer, got ${minor}`);
	const f = formatter(code, locale);
	const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
	return f.format(minor / 10 ** digits);
}
