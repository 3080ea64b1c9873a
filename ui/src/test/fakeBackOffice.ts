// The back office's commands behind mockIPC, over the same demo products as fakeShop: enough
// of the core's behaviour (and its field errors) for the admin components to be tested. Events
// are mocked too, so a fake import can send its progress as the shell does; the native file
// dialogs answer `dialogPath`.
import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';

import type { Product, ProductQuery } from '../lib/api';
import type {
  ExportSummary,
  ImportProgress,
  ImportReport,
  LedgerEntry,
  ProductEdit,
  ProductStatus,
  StockLevel,
} from '../lib/adminApi';
import { demoProducts } from './fakeShop';

/** One product CSV import or preview, by path or as bytes, with the flags it was sent with. */
export interface CsvImport {
  command: 'import_products_file' | 'import_products_upload';
  name: string;
  path: string | null;
  bytes: Uint8Array | null;
  dryRun: boolean;
  setStock: boolean;
}

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
  /** What the native open and save dialogs answer: a path, or null (the owner cancelled). */
  dialogPath: string | null;
  /** The product CSV imports and previews, as the shell received them. */
  csvImports: CsvImport[];
  /** Thrown by the next import or preview instead of a report (a file that is no product CSV). */
  refuseImport: { code: string; message: string } | null;
  /** Images the last import could not fetch; retry_pending_images brings them in. */
  pendingImages: ImportReport['images_failed'];
  commands(name: string): Record<string, unknown>[];
}

const PIN_IMAGE = 'https://cdn.example.com/pins/tryzub-silver.jpg';

/**
 * The core's report on messy.csv against the demo shop: the Tryzub pin is new, the Poland flag
 * gets a new price, the Lithuania flag is as the file has it, the broken mug is refused for
 * its negative price.
 */
export function messyReport(name: string, dryRun: boolean, setStock: boolean): ImportReport {
  return {
    file: name,
    dry_run: dryRun,
    created: 1,
    updated: 1,
    unchanged: 1,
    refused: 1,
    variants_created: 2,
    variants_updated: 1,
    images_added: dryRun ? 3 : 2,
    images_failed: dryRun
      ? []
      : [{ handle: 'tryzub-pin', source: PIN_IMAGE, message: 'the server answered 404 Not Found' }],
    stock_changes: [
      { sku: '007', row: 2, from: 0, to: 15, reason: 'received' },
      { sku: 'TRYZUB-PIN-SILVER', row: 3, from: 0, to: 9, reason: 'received' },
      ...(setStock ? [{ sku: 'PL-3X5', row: 5, from: 3, to: 10, reason: 'correction' as const }] : []),
    ],
    products: [
      { handle: 'tryzub-pin', title: 'Tryzub Pin', row: 2, action: 'create', changes: [], variants: 2 },
      {
        handle: 'poland-flag',
        title: 'Poland Flag',
        row: 5,
        action: 'update',
        changes: ['price of PL-3X5: 25.00 → 27.50', 'tags:  → europe'],
        variants: 1,
      },
      {
        handle: 'broken-mug',
        title: 'Broken Mug',
        row: 6,
        action: 'refused',
        changes: ['row 6, Variant Price: -4.00 is negative'],
        variants: 1,
      },
      { handle: 'lithuania-flag', title: 'Lithuania Flag', row: 7, action: 'unchanged', changes: [], variants: 1 },
    ],
    problems: [
      {
        row: 3,
        column: 'Variant Barcode',
        message: '3.65275E+11 was rounded by a spreadsheet and its last digits are lost: barcode not stored',
        severity: 'warning',
      },
      { row: 6, column: 'Variant Price', message: '-4.00 is negative', severity: 'error' },
    ],
    ignored_columns: ['Loyalty points (product.metafields.custom.points)'],
  };
}

/** The headers a raw-body command was sent with (mockIPC's handler does not see them). */
type SentHeaders = Record<string, string>;
interface Internals {
  invoke: (cmd: string, args: unknown, options?: { headers?: HeadersInit }) => Promise<unknown>;
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
    dialogPath: null,
    csvImports: [],
    refuseImport: null,
    pendingImages: [],
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

  const progress = (p: ImportProgress) => emit('import-progress', p);

  /** Answers an import as the core would, sending progress (and waiting on `holdImports`). */
  async function importCsv(csv: CsvImport): Promise<ImportReport> {
    fake.csvImports.push(csv);
    if (fake.refuseImport) throw fake.refuseImport;
    const report = messyReport(csv.name, csv.dryRun, csv.setStock);
    await progress({ phase: 'products', done: 1, total: 3 });
    if (fake.holdImports) await fake.holdImports;
    await progress({ phase: 'products', done: 3, total: 3 });
    if (csv.dryRun) return report;
    await progress({ phase: 'images', done: 3, total: 3 });
    const pin: Product = {
      ...demoProducts()[1]!,
      id: 10,
      handle: 'tryzub-pin',
      title: 'Tryzub Pin',
      product_type: 'Pin',
      images: [],
    };
    fake.products = [...fake.products.filter((p) => p.handle !== pin.handle), pin];
    fake.pendingImages = report.images_failed;
    return report;
  }

  function exportProducts(args: Record<string, unknown>): ExportSummary {
    const status = args.status as ProductStatus | null;
    const chosen = fake.products.filter((p) => status === null || p.status === status);
    const variants = chosen.reduce((n, p) => n + p.variants.length, 0);
    return {
      file: args.path as string,
      products: chosen.length,
      variants,
      rows: variants,
      images_copied: chosen.reduce((n, p) => n + p.images.length, 0),
    };
  }

  let headers: SentHeaders = {};
  const flag = (name: string) => {
    const value = headers[name];
    if (value !== 'true' && value !== 'false') throw { code: 'bad_request', message: `missing header ${name}` };
    return value === 'true';
  };

  mockIPC(async (cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    fake.calls.push({ cmd, args });
    switch (cmd) {
      case 'plugin:dialog|open':
      case 'plugin:dialog|save':
        return fake.dialogPath;
      case 'import_products_file': {
        const path = args.path as string;
        return importCsv({
          command: 'import_products_file',
          name: path.split('/').pop()!,
          path,
          bytes: null,
          dryRun: args.dryRun as boolean,
          setStock: args.setStock as boolean,
        });
      }
      case 'import_products_upload': {
        if (!(payload instanceof Uint8Array)) throw { code: 'bad_request', message: 'the CSV file must be sent as raw bytes' };
        return importCsv({
          command: 'import_products_upload',
          name: decodeURIComponent(headers['x-file-name'] ?? ''),
          path: null,
          bytes: payload,
          dryRun: flag('x-dry-run'),
          setStock: flag('x-set-stock'),
        });
      }
      case 'retry_pending_images': {
        await progress({ phase: 'images', done: 1, total: 1 });
        const added = fake.pendingImages.length;
        fake.pendingImages = [];
        return { added, failed: [] };
      }
      case 'export_products_file':
        return exportProducts(args);
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
  }, { shouldMockEvents: true });

  // Headers travel beside the arguments, which mockIPC's handler does not get: keep the last
  // call's, as the shell reads them from its request.
  const internals = (window as unknown as { __TAURI_INTERNALS__: Internals }).__TAURI_INTERNALS__;
  const invoke = internals.invoke;
  internals.invoke = (cmd, args, options) => {
    headers = Object.fromEntries(new Headers(options?.headers ?? {}).entries());
    return invoke(cmd, args, options);
  };
  return fake;
}
