// The back office's door to the shell, beside the storefront's (./api): the same error
// handling, typed with the generated bindings. Listing and reading products use `api`.
import { call } from './api';
import type { LedgerEntry } from './bindings/LedgerEntry';
import type { Product } from './bindings/Product';
import type { ProductEdit } from './bindings/ProductEdit';
import type { ProductStatus } from './bindings/ProductStatus';
import type { StockCheck } from './bindings/StockCheck';
import type { StockLevel } from './bindings/StockLevel';
import type { StockReason } from './bindings/StockReason';
import type { VariantEdit } from './bindings/VariantEdit';

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
};

export type {
  LedgerEntry,
  ProductEdit,
  ProductStatus,
  StockCheck,
  StockLevel,
  StockReason,
  VariantEdit,
};
