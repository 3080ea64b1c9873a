// The one door to the shell: every backend call goes through here, typed with the bindings
// generated from the Rust types (./bindings). Components never call `invoke` themselves.
import { invoke, type InvokeOptions } from '@tauri-apps/api/core';

import type { Cart } from './bindings/Cart';
import type { Collection } from './bindings/Collection';
import type { CommandError } from './bindings/CommandError';
import type { Commands } from './bindings/commands';
import type { ErrorCode } from './bindings/ErrorCode';
import type { Product } from './bindings/Product';
import type { ProductPage } from './bindings/ProductPage';
import type { ProductQuery } from './bindings/ProductQuery';
import type { CustomerDetails } from './bindings/CustomerDetails';
import type { LabResult } from './bindings/LabResult';
import type { LabScenario } from './bindings/LabScenario';
import type { Order } from './bindings/Order';
import type { PaymentStep } from './bindings/PaymentStep';
import type { ShopInfo } from './bindings/ShopInfo';
import type { StripeStatus } from './bindings/StripeStatus';
import type { SyncReport } from './bindings/SyncReport';
import type { Totals } from './bindings/Totals';

/**
 * A failed command: `code` to branch on, `message` to show, and for an editor the `field` (and
 * the `variant` row) the message is about.
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field: string | null;
  readonly variant: number | null;

  constructor(code: ErrorCode, message: string, field: string | null = null, variant: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
    this.variant = variant;
  }
}

function isCommandError(value: unknown): value is CommandError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as CommandError).code === 'string' &&
    typeof (value as CommandError).message === 'string'
  );
}

/** Anything a command can throw, as an ApiError (the IPC layer itself throws plain strings). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isCommandError(error)) {
    return new ApiError(error.code, error.message, error.field ?? null, error.variant ?? null);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError('internal', message || 'Something went wrong.');
}

/**
 * Calls a shell command, typed by the generated `Commands` (./bindings/commands, from the
 * Rust commands themselves), and turns its failure into an ApiError.
 */
export async function call<C extends keyof Commands>(
  command: C,
  args: Commands[C]['args'],
  options?: InvokeOptions,
): Promise<Commands[C]['result']> {
  try {
    return await invoke<Commands[C]['result']>(command, args, options);
  } catch (error) {
    throw toApiError(error);
  }
}

export const api = {
  shopInfo: () => call('shop_info', {}),
  listProducts: (query: ProductQuery) => call('list_products', { query }),
  product: (handle: string) => call('product', { handle }),
  collections: () => call('collections', {}),
  cart: () => call('cart', {}),
  addToCart: (sku: string, quantity: number) => call('add_to_cart', { sku, quantity }),
  setCartQuantity: (sku: string, quantity: number) => call('set_cart_quantity', { sku, quantity }),
  removeFromCart: (sku: string) => call('remove_from_cart', { sku }),
  restoreCart: (number: string) => call('restore_cart', { number }),
  stripeStatus: () => call('stripe_status', {}),
  checkoutQuote: (country: string, discountCode: string | null) =>
    call('checkout_quote', { country, discountCode }),
  placeOrder: (customer: CustomerDetails, discountCode: string | null) =>
    call('place_order', { customer, discountCode }),
  payOrder: (number: string, paymentMethod: string) =>
    call('pay_order', { number, paymentMethod }),
  refreshPayment: (number: string) => call('refresh_payment', { number }),
  order: (number: string) => call('order', { number }),
  syncStripe: () => call('sync_stripe', {}),
  labSampleSku: () => call('lab_sample_sku', {}),
  runLabScenario: (scenario: LabScenario) => call('run_lab_scenario', { scenario }),
  finishLabScenario: (result: LabResult) => call('finish_lab_scenario', { result }),
};

export type { Cart, Collection, Product, ProductPage, ProductQuery, ShopInfo };
export type {
  CustomerDetails,
  LabResult,
  LabScenario,
  Order,
  PaymentStep,
  StripeStatus,
  SyncReport,
  Totals,
};
export type { CartLine } from './bindings/CartLine';
export type { ProductImage } from './bindings/ProductImage';
export type { ProductSummary } from './bindings/ProductSummary';
export type { Variant } from './bindings/Variant';
