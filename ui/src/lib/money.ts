// Prices cross IPC as integer minor units plus an ISO 4217 code; these turn them into text
// in the shopper's locale. Arithmetic stays in the core.

const digitsCache = new Map<string, number>();

/**
 * The shopper's locale for numbers. A machine without a configured language reports the POSIX
 * locale, whose money format ("$ 14.00") reads oddly: US English stands in for it.
 */
export function displayLocale(language: string | undefined = globalThis.navigator?.language): string {
  if (!language || /^(c|posix)$/i.test(language) || /posix/i.test(language)) return 'en-US';
  try {
    return Intl.getCanonicalLocales(language)[0] ?? 'en-US';
  } catch {
    return 'en-US';
  }
}

/** Digits after the decimal point for `currency` (2 for USD, 0 for JPY, 3 for KWD). */
export function fractionDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** `3900, "USD"` → `$39.00` (in en-US). */
export function formatMoney(
  minor: number,
  currency: string,
  locale: string = displayLocale(),
): string {
  const digits = fractionDigits(currency);
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(minor / 10 ** digits);
}

/** One price, or "low – high" when the variants differ. */
export function formatPriceRange(
  min: number | null,
  max: number | null,
  currency: string | null,
  locale?: string,
): string {
  if (min === null || currency === null) return '';
  if (max === null || max === min) return formatMoney(min, currency, locale);
  return `${formatMoney(min, currency, locale)} – ${formatMoney(max, currency, locale)}`;
}

/** Major units (e.g. dollars) to minor units (cents) of `currency`. */
export function toMinor(major: number, currency: string): number {
  return Math.round(major * 10 ** fractionDigits(currency));
}
