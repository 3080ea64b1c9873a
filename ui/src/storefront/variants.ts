// The variant picker's rules: which option values exist, which are sold out, and what a click
// selects. Options are chosen in order (size, then material): a value is offered when some
// variant has it together with the values chosen for the options before it.
import type { Product, Variant } from '../lib/api';

export type ValueState = 'available' | 'sold-out' | 'unavailable';

/** The distinct values of each option, in the order the variants list them. */
export function optionValues(product: Product): string[][] {
  return product.options.map((_, i) => {
    const values: string[] = [];
    for (const variant of product.variants) {
      const value = variant.options[i];
      if (value !== undefined && !values.includes(value)) values.push(value);
    }
    return values;
  });
}

export function findVariant(product: Product, selection: string[]): Variant | undefined {
  return product.variants.find((v) => v.options.every((value, i) => value === selection[i]));
}

function matchesPrefix(variant: Variant, selection: string[], upTo: number): boolean {
  for (let i = 0; i < upTo; i++) {
    if (variant.options[i] !== selection[i]) return false;
  }
  return true;
}

/** Whether choosing `value` for option `index` leads to a variant that can be bought. */
export function valueState(
  product: Product,
  selection: string[],
  index: number,
  value: string,
): ValueState {
  const candidates = product.variants.filter(
    (v) => matchesPrefix(v, selection, index) && v.options[index] === value,
  );
  if (candidates.length === 0) return 'unavailable';
  return candidates.some((v) => v.available > 0) ? 'available' : 'sold-out';
}

/** The options of the first variant in stock, else of the first variant. */
export function initialSelection(product: Product): string[] {
  const variant = product.variants.find((v) => v.available > 0) ?? product.variants[0];
  return variant ? [...variant.options] : [];
}

/**
 * The selection after choosing `value` for option `index`: later options keep their value when
 * the combination is still in stock, else move to the first value that is.
 */
export function select(
  product: Product,
  selection: string[],
  index: number,
  value: string,
): string[] {
  const next = [...selection];
  next[index] = value;
  const values = optionValues(product);
  for (let j = index + 1; j < values.length; j++) {
    const current = next[j];
    if (current !== undefined && valueState(product, next, j, current) === 'available') continue;
    const options = values[j] ?? [];
    next[j] =
      options.find((v) => valueState(product, next, j, v) === 'available') ??
      options.find((v) => valueState(product, next, j, v) !== 'unavailable') ??
      current ??
      '';
  }
  return next;
}

/** How the stock of a variant reads on the product page. */
export function stockLabel(variant: Variant | undefined): { text: string; tone: 'ok' | 'low' | 'out' } {
  if (!variant || variant.available <= 0) return { text: 'Sold out', tone: 'out' };
  if (variant.low) {
    return { text: `Only ${variant.available} left`, tone: 'low' };
  }
  return { text: 'In stock', tone: 'ok' };
}
