// A small in-memory shop behind mockIPC, answering the shell's commands like the core would,
// so component tests exercise the real bindings module.
import { mockIPC } from '@tauri-apps/api/mocks';

import type { Cart, Product, ProductQuery, ProductSummary, Variant } from '../lib/api';

const HASH = 'ab'.repeat(32);

function variant(sku: string, options: string[], price: number, available: number): Variant {
  return {
    id: 0,
    sku,
    options,
    price,
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

function product(handle: string, title: string, variants: Variant[], options = ['Size']): Product {
  return {
    id: 0,
    handle,
    title,
    description: `The **${title}**, printed on both sides.`,
    vendor: 'Flagshop',
    product_type: 'Flag',
    tags: [],
    status: 'active',
    options,
    variants,
    images: [{ hash: HASH, width: 900, height: 600, alt: `${title} artwork` }],
    collections: [],
    created_at: '',
    updated_at: '',
  };
}

export function demoProducts(): Product[] {
  return [
    product(
      'ukraine-snake-island-flag',
      'Ukraine Snake Island Flag',
      [
        variant('UA-SNK-2X3-POL', ['2x3 ft', 'Polyester'], 1900, 42),
        variant('UA-SNK-3X5-POL', ['3x5 ft', 'Polyester'], 2900, 64),
        variant('UA-SNK-2X3-NYL', ['2x3 ft', 'Nylon'], 2900, 0),
        variant('UA-SNK-3X5-NYL', ['3x5 ft', 'Nylon'], 3900, 25),
      ],
      ['Size', 'Material'],
    ),
    product('poland-flag', 'Poland Flag', [variant('PL-3X5', ['3x5 ft'], 2500, 3)]),
    product('lithuania-flag', 'Lithuania Flag', [variant('LT-3X5', ['3x5 ft'], 2750, 0)]),
  ].map((p, i) => ({ ...p, id: i + 1 }));
}

function summary(p: Product): ProductSummary {
  const prices = p.variants.map((v) => v.price);
  const available = p.variants.reduce((n, v) => n + Math.max(0, v.available), 0);
  return {
    id: p.id,
    handle: p.handle,
    title: p.title,
    vendor: p.vendor,
    product_type: p.product_type,
    status: p.status,
    min_price: Math.min(...prices),
    max_price: Math.max(...prices),
    currency: 'USD',
    variant_count: p.variants.length,
    on_hand: available,
    available,
    low_stock: p.variants.some((v) => v.available > 0 && v.available <= v.low_stock_threshold),
    sold_out: available === 0,
    image: p.images[0] ?? null,
  };
}

export interface FakeShop {
  calls: { cmd: string; args: Record<string, unknown> }[];
  cart: Map<string, number>;
  /** Make the next list_products fail. */
  failNextList: boolean;
}

export function installFakeShop(products = demoProducts()): FakeShop {
  const shop: FakeShop = { calls: [], cart: new Map(), failNextList: false };

  const cart = (): Cart => {
    const lines = [...shop.cart].map(([sku, quantity]) => {
      const p = products.find((p) => p.variants.some((v) => v.sku === sku))!;
      const v = p.variants.find((v) => v.sku === sku)!;
      return {
        sku,
        product_handle: p.handle,
        product_title: p.title,
        options: v.options,
        image: p.images[0] ?? null,
        unit_price: v.price,
        currency: 'USD',
        quantity,
        available: v.available,
        line_total: v.price * quantity,
      };
    });
    return {
      lines,
      item_count: lines.reduce((n, l) => n + l.quantity, 0),
      subtotal: lines.reduce((n, l) => n + l.line_total, 0),
      currency: 'USD',
    };
  };

  const setQuantity = (sku: string, quantity: number) => {
    const v = products.flatMap((p) => p.variants).find((v) => v.sku === sku);
    if (!v) throw { code: 'unknown_sku', message: `unknown SKU "${sku}"` };
    if (quantity > v.available) {
      throw {
        code: 'quantity_unavailable',
        message: `only ${v.available} of "${sku}" available (asked for ${quantity})`,
      };
    }
    if (quantity === 0) shop.cart.delete(sku);
    else shop.cart.set(sku, quantity);
    return cart();
  };

  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    shop.calls.push({ cmd, args });
    switch (cmd) {
      case 'shop_info':
        return { name: 'Flagshop', currency: 'USD' };
      case 'collections':
        return [
          { handle: 'ukraine', title: 'Ukraine', description: 'Flags of Ukraine.', product_count: 1 },
          { handle: 'empty', title: 'Empty', description: '', product_count: 0 },
        ];
      case 'list_products': {
        if (shop.failNextList) {
          shop.failNextList = false;
          throw { code: 'internal', message: 'database error: disk I/O error' };
        }
        const query = args.query as ProductQuery;
        const words = (query.search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
        const items = products
          .filter((p) => words.every((w) => p.title.toLowerCase().includes(w)))
          .filter((p) => !query.in_stock || p.variants.some((v) => v.available > 0))
          .map(summary);
        return { items, next_cursor: null, total: items.length };
      }
      case 'product': {
        const p = products.find((p) => p.handle === args.handle);
        if (!p) throw { code: 'unknown_product', message: `unknown product "${String(args.handle)}"` };
        return p;
      }
      case 'cart':
        return cart();
      case 'add_to_cart': {
        const sku = args.sku as string;
        return setQuantity(sku, (shop.cart.get(sku) ?? 0) + (args.quantity as number));
      }
      case 'set_cart_quantity':
        return setQuantity(args.sku as string, args.quantity as number);
      case 'remove_from_cart':
        shop.cart.delete(args.sku as string);
        return cart();
      default:
        throw { code: 'internal', message: `unexpected command ${cmd}` };
    }
  });
  return shop;
}
