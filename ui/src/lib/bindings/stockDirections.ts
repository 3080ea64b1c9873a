// Generated from flagshop::StockReason::direction (src/inventory.rs): do not edit.

import type { StockReason } from './StockReason';

/** Which way each reason moves stock: 1 adds, -1 removes, 0 either way (a correction). */
export const stockDirections: Record<StockReason, 1 | -1 | 0> = {
  received: 1,
  sold: -1,
  returned: 1,
  damaged: -1,
  lost: -1,
  correction: 0,
};
