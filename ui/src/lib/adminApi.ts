// The back office's door to the shell, beside the storefront's (./api): the same error
// handling, typed with the generated bindings. Listing and reading products use `api`.
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

import { call } from './api';
import type { ExportSummary } from './bindings/ExportSummary';
import type { Fetched } from './bindings/Fetched';
import type { ImageFailure } from './bindings/ImageFailure';
import type { ImportProgress } from './bindings/ImportProgress';
import type { ImportReport } from './bindings/ImportReport';
import type { LedgerEntry } from './bindings/LedgerEntry';
import type { Product } from './bindings/Product';
import type { ProductEdit } from './bindings/ProductEdit';
import type { ProductOutcome } from './bindings/ProductOutcome';
import type { ProductStatus } from './bindings/ProductStatus';
import type { Problem } from './bindings/Problem';
import type { StockChange } from './bindings/StockChange';
import type { StockCheck } from './bindings/StockCheck';
import type { StockLevel } from './bindings/StockLevel';
import type { StockReason } from './bindings/StockReason';
import type { VariantEdit } from './bindings/VariantEdit';

/** The event the shell sends an import's progress as (src-tauri/src/commands/catalogue_csv.rs). */
const IMPORT_PROGRESS_EVENT = 'import-progress';

export const adminApi = {
  saveProduct: (handle: string | null, edit: ProductEdit) => call('save_product', { handle, edit }),
  setProductsStatus: (handles: string[], status: ProductStatus) =>
    call('set_products_status', { handles, status }),
  /**
   * Sends one image file to the shop as the raw request body (no JSON, no base64); the names
   * travel percent-encoded in headers.
   */
  async importImage(handle: string, file: File): Promise<Product> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    return call('import_product_image', bytes, {
      headers: {
        'x-handle': encodeURIComponent(handle),
        'x-file-name': encodeURIComponent(file.name),
      },
    });
  },
  setImageAlt: (handle: string, hash: string, alt: string) =>
    call('set_image_alt', { handle, hash, alt }),
  reorderImages: (handle: string, hashes: string[]) => call('reorder_images', { handle, hashes }),
  removeImage: (handle: string, hash: string) => call('remove_image', { handle, hash }),
  stockLevels: () => call('stock_levels', {}),
  lowStock: () => call('low_stock', {}),
  stockHistory: (sku: string) => call('stock_history', { sku }),
  adjustStock: (sku: string, delta: number, reason: StockReason, note: string) =>
    call('adjust_stock', { sku, delta, reason, note }),
  verifyStock: () => call('verify_stock', {}),
  /** Previews (`dryRun`) or imports the product CSV at `path`, picked in the native dialog. */
  importProductsFile: (path: string, dryRun: boolean, setStock: boolean) =>
    call('import_products_file', { path, dryRun, setStock }),
  /**
   * Previews (`dryRun`) or imports a product CSV the page holds (picked in its file field or
   * dropped), sent as the raw request body like an image; the name and the two flags travel
   * in headers. Image paths relative to the file cannot be resolved this way: they are reported.
   */
  importProductsUpload: (name: string, bytes: Uint8Array, dryRun: boolean, setStock: boolean) =>
    call('import_products_upload', bytes, {
      headers: {
        'x-file-name': encodeURIComponent(name),
        'x-dry-run': String(dryRun),
        'x-set-stock': String(setStock),
      },
    }),
  /** Fetches again every image earlier imports could not. */
  retryPendingImages: () => call('retry_pending_images', {}),
  /** `status` and `collection`: `null` exports them all. */
  exportProductsFile: (
    path: string,
    status: ProductStatus | null,
    collection: string | null,
    legacyHeader: boolean,
  ) => call('export_products_file', { path, status, collection, legacyHeader }),
  /**
   * Calls `handler` with each progress event of an import or image retry until the returned
   * function is called. Resolves to a no-op when events cannot be heard (the progress bar then
   * just waits for the result).
   */
  async onImportProgress(handler: (progress: ImportProgress) => void): Promise<UnlistenFn> {
    try {
      return await listen<ImportProgress>(IMPORT_PROGRESS_EVENT, (event) => handler(event.payload));
    } catch {
      return () => {};
    }
  },
};

export type {
  ExportSummary,
  Fetched,
  ImageFailure,
  ImportProgress,
  ImportReport,
  LedgerEntry,
  Problem,
  ProductOutcome,
  ProductEdit,
  ProductStatus,
  StockChange,
  StockCheck,
  StockLevel,
  StockReason,
  VariantEdit,
};
