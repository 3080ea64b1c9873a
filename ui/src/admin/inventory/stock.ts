// Stock adjustments as the owner thinks of them: a number of units and a reason, the
// direction following from the reason (received adds, damaged removes, a correction either).
import type { StockReason } from '../../lib/adminApi';
import { stockDirections } from '../../lib/bindings/stockDirections';

export interface ReasonChoice {
  reason: StockReason;
  label: string;
  /** +1 adds, -1 removes, 0: the owner types the sign (a correction after a count), as the
   * core's StockReason::direction says. */
  direction: 1 | -1 | 0;
}

/** The reasons an owner picks from; `sold` only comes from orders. */
export const reasonChoices: ReasonChoice[] = [
  { reason: 'received', label: 'Received', direction: stockDirections.received },
  { reason: 'returned', label: 'Returned', direction: stockDirections.returned },
  { reason: 'damaged', label: 'Damaged', direction: stockDirections.damaged },
  { reason: 'lost', label: 'Lost', direction: stockDirections.lost },
  { reason: 'correction', label: 'Correction (after a count)', direction: stockDirections.correction },
];

export const reasonLabels: Record<StockReason, string> = {
  received: 'Received',
  sold: 'Sold',
  returned: 'Returned',
  damaged: 'Damaged',
  lost: 'Lost',
  correction: 'Correction',
};

/**
 * The signed movement for `text` units and `reason`, or a message saying what to type.
 */
export function stockDelta(text: string, reason: StockReason): { delta: number } | { error: string } {
  const choice = reasonChoices.find((c) => c.reason === reason);
  const trimmed = text.trim();
  if (choice?.direction === 0) {
    if (!/^[+-]?\d+$/.test(trimmed) || Number(trimmed) === 0) {
      return { error: 'Type the change, e.g. -2 or 3.' };
    }
    return { delta: Number(trimmed) };
  }
  if (!/^\d+$/.test(trimmed) || Number(trimmed) === 0) {
    return { error: 'Type a whole number of units, e.g. 12.' };
  }
  return { delta: Number(trimmed) * (choice?.direction ?? 1) };
}

/** `+5` or `−2`, as the ledger shows a movement. */
export function formatDelta(delta: number): string {
  return delta > 0 ? `+${delta}` : `−${Math.abs(delta)}`;
}
