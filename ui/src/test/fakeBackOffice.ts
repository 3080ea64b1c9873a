// The back office's commands behind mockIPC, over the same demo products as fakeShop: enough
// of the core's behaviour (and its field errors) for the admin components to be tested.
import { mockIPC } from '@tauri-apps/api/mocks';

import type { Product, ProductQuery } from '../lib/api';
import type { LedgerEntry, ProductEdit, StockLevel } from '../lib/adminApi';
import { demoProducts } from './fakeShop';

export interface FakeBackOffice {
  products: Product[];
  calls: { cmd: string; args: Record<string, unknown> }[];
  ledger: LedgerEntry[];
  /** Thrown by the next save_product instead of saving. */
  failNextSave: Record<string, unknown> | null;
  /** The bodies of import_product_image, as they crossed IPC. */
  uploads: unknown[];
  /** When set, an import waits for this before answering (to see its progress). */
  holdImports: Promise<void> | null;
  /** A SKU whose on-hand verify_stock reports as disagreeing with its ledger. */
  brokenSku: string | null;
  commands(name: string): Record<string, unknown>[];
}

export function installFakeBackOffice(products = demoProducts()): FakeBackOffice {
  const fake: FakeBackOffice = {
    products,
    calls: [],
    ledger: [],
    failNextSave: null,
    uploads: [],
    holdImports: null,
    brokenSku: null,
    commands: (name) => fake.calls.filter((c) => c.cmd === name).map((c) => c.args),
  };
  const find = (handle: unknown) => {
    const p = fake.products.find((p) => p.handle === handle);
    if (!p) throw { code: 'unknown_product', message: `unknown product "${String(handle)}"` };
    return p;
  };
  const levels = (): StockLevel[] =>
    fake.products.flatMap((p) =>
      p.variants.map((v) => ({
        sku: v.sku,
        product_handle: p.handle,
        product_title: p.title,
        options: v.options,
        on_hand: v.on_hand,
        reserved: v.reserved,
        available: v.available,
        low_stock_threshold: v.low_stock_threshold,
        low: v.available <= v.low_stock_threshold,
      })),
    );

  const withImages = (handle: unknown, images: Product['images']) => {
    const p = { ...find(handle), images };
    fake.products = fake.products.map((old) => (old.handle === p.handle ? p : old));
    return p;
  };

  mockIPC(async (cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    fake.calls.push({ cmd, args });
    switch (cmd) {
      case 'shop_info':
        return { name: 'Flagshop', currency: 'USD' };
      case 'collections':
        return [{ handle: 'ukraine', title: 'Ukraine', description: '', product_count: 1 }];
      case 'list_products': {
        const query = args.query as ProductQuery;
        const items = fake.products
          .filter((p) => !query.status || p.status === query.status)
          .filter((p) => p.title.toLowerCase().includes((query.search ?? '').toLowerCase()))
          .map((p) => ({
            id: p.id,
            handle: p.handle,
            title: p.title,
            vendor: p.vendor,
            product_type: p.product_type,
            status: p.status,
            min_price: Math.min(...p.variants.map((v) => v.price)),
            max_price: Math.max(...p.variants.map((v) => v.price)),
            currency: 'USD',
            variant_count: p.variants.length,
            on_hand: p.variants.reduce((n, v) => n + v.on_hand, 0),
            available: p.variants.reduce((n, v) => n + v.available, 0),
            low_stock: false,
            sold_out: false,
            image: p.images[0] ?? null,
          }));
        return { items, next_cursor: null, total: items.length };
      }
      case 'product':
        return find(args.handle);
      case 'save_product': {
        if (fake.failNextSave) {
          const error = fake.failNextSave;
          fake.failNextSave = null;
          throw error;
        }
        const edit = args.edit as ProductEdit;
        const old = args.handle === null ? null : find(args.handle);
        const saved: Product = {
          ...(old ?? demoProducts()[0]!),
          handle: old?.handle ?? edit.handle,
          title: edit.title,
          description: edit.description,
          status: edit.status,
          options: edit.options,
          images: old?.images ?? [],
          variants: edit.variants.map((v, i) => {
            const before = old?.variants.find((o) => o.id === v.id);
            return {
              id: v.id ?? 100 + i,
              sku: v.sku,
              options: v.options,
              price: v.price,
              compare_at_price: v.compare_at_price,
              currency: 'USD',
              barcode: v.barcode,
              weight_grams: v.weight_grams,
              weight_unit: before?.weight_unit ?? 'g',
              cost_per_item: before?.cost_per_item ?? null,
              image: before?.image ?? null,
              on_hand: before?.on_hand ?? 0,
              reserved: before?.reserved ?? 0,
              available: before?.available ?? 0,
              low_stock_threshold: v.low_stock_threshold,
              low: (before?.available ?? 0) <= v.low_stock_threshold,
            };
          }),
        };
        fake.products = old
          ? fake.products.map((p) => (p === old ? saved : p))
          : [...fake.products, saved];
        return saved;
      }
      case 'set_products_status': {
        const handles = args.handles as string[];
        fake.products = fake.products.map((p) =>
          handles.includes(p.handle) ? { ...p, status: args.status as Product['status'] } : p,
        );
        return handles.length;
      }
      case 'import_product_image': {
        fake.uploads.push(payload);
        if (fake.holdImports) await fake.holdImports;
        const p = fake.products[0]!;
        const hash = String(fake.uploads.length).padStart(64, 'c');
        return withImages(p.handle, [...p.images, { hash, width: 30, height: 20, alt: '' }]);
      }
      case 'set_image_alt':
        return withImages(
          args.handle,
          find(args.handle).images.map((i) => (i.hash === args.hash ? { ...i, alt: args.alt as string } : i)),
        );
      case 'reorder_images': {
        const images = find(args.handle).images;
        return withImages(
          args.handle,
          (args.hashes as string[]).map((h) => images.find((i) => i.hash === h)!),
        );
      }
      case 'remove_image':
        return withImages(
          args.handle,
          find(args.handle).images.filter((i) => i.hash !== args.hash),
        );
      case 'verify_stock': {
        const mismatches = levels()
          .filter((l) => l.sku === fake.brokenSku)
          .map((l) => ({ sku: l.sku, product_title: l.product_title, stored: l.on_hand, from_ledger: l.on_hand - 2 }));
        return { variants_checked: levels().length, mismatches };
      }
      case 'stock_levels':
        return levels();
      case 'low_stock':
        return levels().filter((l) => l.available <= l.low_stock_threshold);
      case 'stock_history':
        return fake.ledger.filter((e) => e.sku === args.sku);
      case 'adjust_stock': {
        const variant = fake.products.flatMap((p) => p.variants).find((v) => v.sku === args.sku)!;
        const delta = args.delta as number;
        if (variant.available + delta < 0) {
          throw {
            code: 'quantity_unavailable',
            message: `cannot remove ${-delta} of "${variant.sku}": only ${variant.available} available`,
          };
        }
        variant.on_hand += delta;
        variant.available += delta;
        const entry: LedgerEntry = {
          id: fake.ledger.length + 1,
          sku: variant.sku,
          delta,
          reason: args.reason as LedgerEntry['reason'],
          order_id: null,
          note: (args.note as string).trim(),
          balance_after: variant.on_hand,
          created_at: '2026-11-27T18:00:00.000Z',
        };
        fake.ledger.unshift(entry);
        return entry;
      }
      default:
        throw { code: 'internal', message: `unexpected command ${cmd}` };
    }
  });
  return fake;
}
