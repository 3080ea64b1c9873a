import { describe, expect, it } from 'vitest';

import { displayLocale, formatMoney, formatPriceRange, fractionDigits, toMinor } from './money';

describe('money', () => {
  it('formats minor units with the currency exponent', () => {
    expect(formatMoney(3900, 'USD', 'en-US')).toBe('$39.00');
    expect(formatMoney(1500, 'JPY', 'en-US')).toBe('¥1,500');
    // Intl separates a currency code from the number with a no-break space.
    expect(formatMoney(1234, 'KWD', 'en-US')).toBe('KWD\u00a01.234');
    expect(formatMoney(123456, 'EUR', 'de-DE')).toBe('1.234,56\u00a0€');
  });

  it('shows one price or a range', () => {
    expect(formatPriceRange(1900, 4900, 'USD', 'en-US')).toBe('$19.00 – $49.00');
    expect(formatPriceRange(1900, 1900, 'USD', 'en-US')).toBe('$19.00');
    expect(formatPriceRange(null, null, null, 'en-US')).toBe('');
  });

  it('uses US English where the machine has no language set', () => {
    expect(displayLocale('en-US-u-va-posix')).toBe('en-US');
    expect(displayLocale('C')).toBe('en-US');
    expect(displayLocale('')).toBe('en-US');
    expect(displayLocale('de-de')).toBe('de-DE');
  });

  it('converts major to minor units', () => {
    expect(fractionDigits('JPY')).toBe(0);
    expect(toMinor(20, 'USD')).toBe(2000);
    expect(toMinor(20, 'JPY')).toBe(20);
  });
});
