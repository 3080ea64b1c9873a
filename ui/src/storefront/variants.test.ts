import { describe, expect, it } from 'vitest';

import type { Product, Variant } from '../lib/api';
import { findVariant, initialSelection, optionValues, select, stockLabel, valueState } from './variants';

function variant(sku: string, options: string[], available: number): Variant {
  return {
    id: 0,
    sku,
    options,
    price: 3900,
    compare_at_price: null,
    currency: 'USD',
    barcode: null,
    weight_grams: 100,
    weight_unit: 'g',
    cost_per_item: null,
    image: null,
    on_hand: available,
    reserved: 0,
    available,
    low_stock_threshold: 5,
    low: available <= 5,
  };
}

// Like the demo Snake Island flag: 2x3 ft Nylon is sold out, 4x6 ft exists only in Polyester.
const flag: Product = {
  id: 1,
  handle: 'snake',
  title: 'Snake Island Flag',
  description: '',
  vendor: 'Flagshop',
  product_type: 'Flag',
  tags: [],
  status: 'active',
  options: ['Size', 'Material'],
  variants: [
    variant('2X3-POL', ['2x3 ft', 'Polyester'], 0),
    variant('2X3-NYL', ['2x3 ft', 'Nylon'], 4),
    variant('3X5-POL', ['3x5 ft', 'Polyester'], 64),
    variant('3X5-NYL', ['3x5 ft', 'Nylon'], 25),
    variant('4X6-POL', ['4x6 ft', 'Polyester'], 0),
  ],
  images: [],
  collections: [],
  created_at: '',
  updated_at: '',
};

describe('variant picker', () => {
  it('lists each option value once, in variant order', () => {
    expect(optionValues(flag)).toEqual([
      ['2x3 ft', '3x5 ft', '4x6 ft'],
      ['Polyester', 'Nylon'],
    ]);
  });

  it('starts on the first variant in stock', () => {
    expect(initialSelection(flag)).toEqual(['2x3 ft', 'Nylon']);
  });

  it('disables combinations that do not exist or are sold out', () => {
    expect(valueState(flag, ['3x5 ft', 'Nylon'], 0, '4x6 ft')).toBe('sold-out');
    expect(valueState(flag, ['3x5 ft', 'Nylon'], 0, '2x3 ft')).toBe('available');
    expect(valueState(flag, ['2x3 ft', 'Nylon'], 1, 'Polyester')).toBe('sold-out');
    expect(valueState(flag, ['4x6 ft', 'Polyester'], 1, 'Nylon')).toBe('unavailable');
  });

  it('moves later options to a value in stock when the chosen one is not', () => {
    expect(select(flag, ['3x5 ft', 'Polyester'], 0, '2x3 ft')).toEqual(['2x3 ft', 'Nylon']);
    expect(select(flag, ['2x3 ft', 'Nylon'], 0, '3x5 ft')).toEqual(['3x5 ft', 'Nylon']);
    expect(select(flag, ['3x5 ft', 'Polyester'], 1, 'Nylon')).toEqual(['3x5 ft', 'Nylon']);
    expect(findVariant(flag, ['3x5 ft', 'Nylon'])?.sku).toBe('3X5-NYL');
  });

  it('describes stock in words', () => {
    expect(stockLabel(flag.variants[1])).toEqual({ text: 'Only 4 left', tone: 'low' });
    expect(stockLabel(flag.variants[2])).toEqual({ text: 'In stock', tone: 'ok' });
    expect(stockLabel(flag.variants[0])).toEqual({ text: 'Sold out', tone: 'out' });
    expect(stockLabel(undefined).tone).toBe('out');
  });
});
