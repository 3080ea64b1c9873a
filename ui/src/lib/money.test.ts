import { describe, expect, it } from 'vitest';

import {
  displayLocale,
  formatMoney,
  formatPriceRange,
  fractionDigits,
  minorToInput,
  parseMoney,
  toMinor,
} from './money';

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

  it('parses typed prices to minor units without floating point', () => {
    expect(parseMoney('39', 'USD')).toBe(3900);
    expect(parseMoney(' 39.5 ', 'USD')).toBe(3950);
    expect(parseMoney('$1,299.00', 'USD')).toBe(129900);
    expect(parseMoney('0.07', 'USD')).toBe(7);
    // 0.29 * 100 is 28.999999999999996 in floating point; here it is 29.
    expect(parseMoney('0.29', 'USD')).toBe(29);
    expect(parseMoney('1500', 'JPY')).toBe(1500);
    expect(parseMoney('1.234', 'KWD')).toBe(1234);
    for (const bad of ['', '-5', '12.345', '1.5.0', 'abc', '1e3', '12,34', '99999999999999999']) {
      expect(parseMoney(bad, 'USD'), bad).toBeNull();
    }
    expect(parseMoney('15.', 'USD')).toBe(1500);
    expect(parseMoney('1.5', 'JPY')).toBeNull();
  });

  it('writes minor units back as input text', () => {
    expect(minorToInput(3900, 'USD')).toBe('39.00');
    expect(minorToInput(7, 'USD')).toBe('0.07');
    expect(minorToInput(1500, 'JPY')).toBe('1500');
    expect(minorToInput(1234, 'KWD')).toBe('1.234');
    for (const minor of [0, 1, 99, 100, 123456789]) {
      expect(parseMoney(minorToInput(minor, 'USD'), 'USD')).toBe(minor);
    }
  });
});
