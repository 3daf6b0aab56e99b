// Money is integer minor units everywhere. The demo shop prices in US dollars, so
// one unit is one cent; formatting is the only place that knows about the decimal point.
export const CURRENCY = 'USD';
export const LOCALE = 'en-US';

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
export function formatMoney(minor: number, currency = CURRENCY, locale = LOCALE): string {
	if (!Number.isSafeInteger(minor)) throw new RangeError(`money must be an integer, got ${minor}`);
	const f = formatter(currency, locale);
	const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
	return f.format(minor / 10 ** digits);
}
