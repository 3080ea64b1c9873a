import { describe, expect, it } from 'vitest';

import { demoProducts } from '../../test/fakeShop';
import {
  emptyForm,
  errorKey,
  formFromProduct,
  generateMatrix,
  isDirty,
  slugify,
  suggestSku,
  toEdit,
  variantKey,
} from './productForm';

const snakeIsland = () => demoProducts()[0]!;

describe('the product form', () => {
  it('round-trips a product into an edit with prices in minor units', () => {
    const form = formFromProduct(snakeIsland());
    expect(form.options).toEqual([
      { name: 'Size', values: '2x3 ft, 3x5 ft' },
      { name: 'Material', values: 'Polyester, Nylon' },
    ]);
    expect(form.variants[3]!.price).toBe('39.00');
    form.variants[3]!.price = '41.5';
    form.variants[3]!.compareAt = '$45.00';
    const { edit } = toEdit(form, 'USD');
    expect(edit?.variants[3]).toMatchObject({
      sku: 'UA-SNK-3X5-NYL',
      price: 4150,
      compare_at_price: 4500,
    });
    expect(edit?.variants[0]!.compare_at_price).toBeNull();
  });

  it('names each field that cannot be sent', () => {
    const form = formFromProduct(snakeIsland());
    form.title = '  ';
    form.variants[0]!.price = '-3';
    form.variants[1]!.price = '12.345';
    form.variants[2]!.sku = 'UA-SNK-2X3-POL';
    form.variants[3]!.weight = '1.5';
    const { errors } = toEdit(form, 'USD');
    expect(errors).toEqual({
      title: 'Title can’t be blank.',
      [variantKey(0, 'price')]: 'Price cannot be negative.',
      [variantKey(1, 'price')]: 'Enter price like 39.00.',
      [variantKey(2, 'sku')]: 'This SKU is already used above.',
      [variantKey(3, 'weight_grams')]: 'Whole grams, e.g. 150.',
    });
  });

  it('generates the size × material matrix, keeping the rows that exist', () => {
    const form = formFromProduct(snakeIsland());
    form.options[0]!.values = '2x3 ft, 3x5 ft, 4x6 ft';
    const rows = generateMatrix(form, 'UA-SNK');
    expect(rows.map((r) => r.options.join(' / '))).toEqual([
      '2x3 ft / Polyester',
      '2x3 ft / Nylon',
      '3x5 ft / Polyester',
      '3x5 ft / Nylon',
      '4x6 ft / Polyester',
      '4x6 ft / Nylon',
    ]);
    expect(rows[0]).toBe(form.variants[0]);
    expect(rows[4]).toMatchObject({ id: null, sku: 'UA-SNK-4X6-POLY', price: '19.00', onHand: 0 });
  });

  it('builds a brand-new product from its title', () => {
    const form = emptyForm();
    form.title = "Côte d'Ivoire Flag";
    form.handle = slugify(form.title);
    expect(form.handle).toBe('cote-d-ivoire-flag');
    form.options = [
      { name: 'Size', values: '3x5 ft' },
      { name: 'Material', values: 'Nylon, Polyester' },
    ];
    form.variants = generateMatrix(form, 'CI', '3');
    expect(form.variants.map((v) => v.sku)).toEqual(['CI-3X5-NYLO', 'CI-3X5-POLY']);
    expect(form.variants.map((v) => v.threshold)).toEqual(['3', '3']);
    for (const row of form.variants) row.price = '25';
    expect(toEdit(form, 'USD').edit?.variants.map((v) => v.price)).toEqual([2500, 2500]);
  });

  it('knows when something changed', () => {
    const saved = formFromProduct(snakeIsland());
    const form = structuredClone(saved);
    form.variants = form.variants.map((v) => ({ ...v, key: 'other' }));
    expect(isDirty(form, saved)).toBe(false);
    form.variants[0]!.barcode = '123';
    expect(isDirty(form, saved)).toBe(true);
  });

  it('puts core errors next to their field', () => {
    expect(errorKey('price', 2)).toBe('variants.2.price');
    expect(errorKey('title', null)).toBe('title');
    expect(errorKey(null, null)).toBe('form');
    expect(suggestSku('pl', ['3x5 ft'])).toBe('PL-3X5');
  });
});
