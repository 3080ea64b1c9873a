// The product editor's form: what the owner types (prices as text), turned into the core's
// ProductEdit on save. The core checks everything again; checks here only answer sooner.
import type { ProductEdit, ProductStatus } from '../../lib/adminApi';
import type { Product } from '../../lib/api';
import { minorToInput, parseMoney } from '../../lib/money';

export interface OptionRow {
  name: string;
  /** Values separated by commas, e.g. "2x3 ft, 3x5 ft". */
  values: string;
}

export interface VariantRow {
  /** Stable across edits, for keyed lists. */
  key: string;
  id: number | null;
  sku: string;
  options: string[];
  price: string;
  compareAt: string;
  barcode: string;
  weight: string;
  threshold: string;
  /** Stock as last loaded (new rows start with none). */
  onHand: number;
}

export interface ProductForm {
  handle: string;
  title: string;
  description: string;
  vendor: string;
  productType: string;
  tags: string;
  status: ProductStatus;
  collections: string[];
  options: OptionRow[];
  variants: VariantRow[];
}

/** Messages by field: `title`, `handle`, `options`, or `variants.<row>.<field>`. */
export type FieldErrors = Record<string, string>;

export function variantKey(row: number, field: string): string {
  return `variants.${row}.${field}`;
}

let nextKey = 0;
function newKey(): string {
  nextKey += 1;
  return `row-${nextKey}`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

export function splitList(text: string): string[] {
  return unique(
    text
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0),
  );
}

export function emptyForm(): ProductForm {
  return {
    handle: '',
    title: '',
    description: '',
    vendor: '',
    productType: '',
    tags: '',
    status: 'draft',
    collections: [],
    options: [],
    variants: [],
  };
}

export function formFromProduct(product: Product): ProductForm {
  const currency = product.variants[0]?.currency ?? 'USD';
  return {
    handle: product.handle,
    title: product.title,
    description: product.description,
    vendor: product.vendor,
    productType: product.product_type,
    tags: product.tags.join(', '),
    status: product.status,
    collections: [...product.collections],
    options: product.options.map((name, i) => ({
      name,
      values: unique(product.variants.map((v) => v.options[i] ?? '')).join(', '),
    })),
    variants: product.variants.map((v) => ({
      key: newKey(),
      id: v.id,
      sku: v.sku,
      options: [...v.options],
      price: minorToInput(v.price, currency),
      compareAt: v.compare_at_price === null ? '' : minorToInput(v.compare_at_price, currency),
      barcode: v.barcode ?? '',
      weight: String(v.weight_grams),
      threshold: String(v.low_stock_threshold),
      onHand: v.on_hand,
    })),
  };
}

/** A product handle from its title: "Côte d'Ivoire Flag" → "cote-d-ivoire-flag". */
export function slugify(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A SKU suggestion for new variants: "PL-3X5-NYL" from "pl", ["3x5 ft", "Nylon"]. */
export function suggestSku(prefix: string, values: string[]): string {
  const part = (text: string) =>
    slugify(text)
      .split('-')
      .filter((w) => w !== 'ft')
      .join('')
      .slice(0, 4)
      .toUpperCase();
  return [prefix.toUpperCase(), ...values.map(part)].filter(Boolean).join('-');
}

function combinations(lists: string[][]): string[][] {
  return lists.reduce<string[][]>(
    (acc, values) => acc.flatMap((combo) => values.map((v) => [...combo, v])),
    [[]],
  );
}

/**
 * The variants for every combination of the option values (size × material …), in order:
 * a row that exists for a combination is kept as it is; new ones copy the first row's price
 * and weight and get a suggested SKU. The first rows of a new product start at the shop's
 * low-stock threshold (`lowStockDefault`, from Settings).
 */
export function generateMatrix(form: ProductForm, skuPrefix: string, lowStockDefault = '5'): VariantRow[] {
  const lists = form.options.map((o) => splitList(o.values));
  if (lists.length === 0 || lists.some((l) => l.length === 0)) return form.variants;
  const template = form.variants[0];
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  return combinations(lists).map(
    (combo) =>
      form.variants.find((row) => same(row.options, combo)) ?? {
        key: newKey(),
        id: null,
        sku: suggestSku(skuPrefix, combo),
        options: combo,
        price: template?.price ?? '',
        compareAt: template?.compareAt ?? '',
        barcode: '',
        weight: template?.weight ?? '0',
        threshold: template?.threshold ?? lowStockDefault,
        onHand: 0,
      },
  );
}

function wholeNumber(text: string): number | null {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : null;
}

function priceError(text: string, what: string): string {
  return text.trim().startsWith('-')
    ? `${what} cannot be negative.`
    : `Enter ${what.toLowerCase()} like 39.00.`;
}

/**
 * The form as the core's ProductEdit, or the messages for the fields that cannot be sent as
 * they are (an empty title, a malformed or negative price, the same SKU twice, …).
 */
export function toEdit(
  form: ProductForm,
  currency: string,
): { edit: ProductEdit; errors: null } | { edit: null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  if (!form.title.trim()) errors.title = 'Title can’t be blank.';
  if (!/^[a-z0-9-]+$/.test(form.handle)) {
    errors.handle = 'Use lower-case letters, digits and dashes, e.g. poland-flag.';
  }
  form.options.forEach((o, i) => {
    if (!o.name.trim()) errors[`options.${i}`] = 'Give the option a name, e.g. Size.';
  });
  const seen = new Map<string, number>();
  const variants = form.variants.map((row, i) => {
    const sku = row.sku.trim();
    if (!sku || /\s/.test(sku)) errors[variantKey(i, 'sku')] = 'SKU can’t be blank or contain spaces.';
    else if (seen.has(sku)) errors[variantKey(i, 'sku')] = 'This SKU is already used above.';
    seen.set(sku, i);
    const price = parseMoney(row.price, currency);
    if (price === null) errors[variantKey(i, 'price')] = priceError(row.price, 'Price');
    const compareAt = row.compareAt.trim() === '' ? null : parseMoney(row.compareAt, currency);
    if (row.compareAt.trim() !== '' && compareAt === null) {
      errors[variantKey(i, 'compare_at_price')] = priceError(row.compareAt, 'Compare-at price');
    }
    const weight = wholeNumber(row.weight);
    if (weight === null) errors[variantKey(i, 'weight_grams')] = 'Whole grams, e.g. 150.';
    const threshold = wholeNumber(row.threshold);
    if (threshold === null) errors[variantKey(i, 'low_stock_threshold')] = 'A whole number.';
    return {
      id: row.id,
      sku,
      options: row.options.map((v) => v.trim()),
      price: price ?? 0,
      compare_at_price: compareAt,
      barcode: row.barcode.trim() === '' ? null : row.barcode.trim(),
      weight_grams: weight ?? 0,
      low_stock_threshold: threshold ?? 0,
    };
  });
  if (Object.keys(errors).length > 0) return { edit: null, errors };
  return {
    edit: {
      handle: form.handle,
      title: form.title.trim(),
      description: form.description,
      vendor: form.vendor.trim(),
      product_type: form.productType.trim(),
      tags: splitList(form.tags),
      status: form.status,
      options: form.options.map((o) => o.name.trim()),
      collections: form.collections,
      variants,
    },
    errors: null,
  };
}

/** The key under which a core error is shown: next to its field, or at the top of the form. */
export function errorKey(field: string | null, variant: number | null): string {
  if (field === null) return 'form';
  if (variant !== null) return variantKey(variant, field);
  return field === 'options' ? 'options' : field;
}

/** Whether the owner changed anything since `saved` (row keys do not count). */
export function isDirty(form: ProductForm, saved: ProductForm): boolean {
  const plain = (f: ProductForm) =>
    JSON.stringify({ ...f, variants: f.variants.map((v) => ({ ...v, key: '' })) });
  return plain(form) !== plain(saved);
}
