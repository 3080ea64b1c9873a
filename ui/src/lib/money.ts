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

/**
 * A price as typed in the back office ("39", "39.5", "1,299.00", "$39.00") to minor units of
 * `currency`, with integer maths only: no float ever stands between the text and the cents.
 * `null` for anything that is not a plain non-negative amount with at most the currency's
 * decimals, so a typo is refused rather than silently becoming another price.
 */
export function parseMoney(text: string, currency: string): number | null {
  const digits = fractionDigits(currency);
  const cleaned = text.trim().replace(/^[^\d.,-]+/, '').replace(/,(?=\d{3}(\D|$))/g, '');
  const match = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return null;
  const whole = match[1] ?? '';
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return null;
  const minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  return minor > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(minor);
}

/** Minor units as the text a price input starts with: 3900 USD → "39.00", 1500 JPY → "1500". */
export function minorToInput(minor: number, currency: string): string {
  const digits = fractionDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
