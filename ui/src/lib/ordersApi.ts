// The back office's orders, customers and dashboard, beside the storefront's door (./api):
// the same error handling, typed with the generated bindings. Reading one order is the
// checkout's `order` command.
import { call } from './api';
import type { CustomerDetail } from './bindings/CustomerDetail';
import type { CustomerSummary } from './bindings/CustomerSummary';
import type { DailySales } from './bindings/DailySales';
import type { Dashboard } from './bindings/Dashboard';
import type { Order } from './bindings/Order';
import type { OrderEvent } from './bindings/OrderEvent';
import type { OrderLine } from './bindings/OrderLine';
import type { OrderQuery } from './bindings/OrderQuery';
import type { OrdersExportSummary } from './bindings/OrdersExportSummary';
import type { OrderSummary } from './bindings/OrderSummary';
import type { PaymentStatus } from './bindings/PaymentStatus';
import type { TestOrderDeletion } from './bindings/TestOrderDeletion';
import type { TestOrdersDeleted } from './bindings/TestOrdersDeleted';

export const ordersApi = {
  searchOrders: (query: OrderQuery) => call('search_orders', { query }),
  order: (number: string) => call('order', { number }),
  /** Refused (code `forbidden`) unless the order is paid, open and not yet fulfilled. */
  fulfil: (number: string, carrier: string | null, tracking: string) =>
    call('fulfil_order', { number, carrier, tracking }),
  /** Releases an unpaid order's stock, or refunds and restocks a paid one. */
  cancel: (number: string) => call('cancel_order', { number }),
  /** `amount` in minor units; `null` refunds everything that is left. */
  refund: (number: string, amount: number | null, restock: boolean) =>
    call('refund_order', { number, amount, restock }),
  addNote: (number: string, text: string) => call('add_order_note', { number, text }),
  restockOversold: (number: string) => call('restock_oversold', { number }),
  /** What deleting these test orders will do; changes nothing. */
  previewTestOrderDeletion: (numbers: string[]) => call('preview_test_order_deletion', { numbers }),
  /** Refunds or voids each at Stripe, restocks it, then hides it; the refused are listed. */
  deleteTestOrders: (numbers: string[]) => call('delete_test_orders', { numbers }),
  customers: () => call('customers', {}),
  customer: (email: string) => call('customer', { email }),
  dashboard: () => call('dashboard', {}),
  /** Writes the real orders placed from `from` to `to` (days, either `null`) as a CSV at `path`. */
  exportOrdersFile: (path: string, from: string | null, to: string | null) =>
    call('export_orders_file', { path, from, to }),
};

export type {
  CustomerDetail,
  CustomerSummary,
  DailySales,
  Dashboard,
  Order,
  OrderEvent,
  OrderLine,
  OrderQuery,
  OrderSummary,
  OrdersExportSummary,
  PaymentStatus,
  TestOrderDeletion,
  TestOrdersDeleted,
};
