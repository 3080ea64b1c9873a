// What the order screens say about an order: its badges, its timeline's words and times, and
// the refund amount the owner types.
import { COUNTRIES } from '../../checkout/countries';
import { formatMoney, minorToInput, parseMoney } from '../../lib/money';
import type { SyncReport } from '../../lib/api';
import type { OrdersExportSummary, PaymentStatus } from '../../lib/ordersApi';
import { plural } from '../../lib/text';

export { paymentLabel } from '../../checkout/status';

/** The colour of a badge: calm for what is done, amber for what needs the owner, red for trouble. */
export type Tone = 'success' | 'attention' | 'critical' | 'info' | 'neutral';

const PAYMENT_TONES: Record<PaymentStatus, Tone> = {
  pending: 'attention',
  requires_action: 'attention',
  paid: 'success',
  partially_refunded: 'info',
  refunded: 'neutral',
  failed: 'critical',
  voided: 'neutral',
};

export function paymentTone(status: PaymentStatus): Tone {
  return PAYMENT_TONES[status];
}

export const paymentStatuses: PaymentStatus[] = [
  'paid',
  'partially_refunded',
  'refunded',
  'pending',
  'requires_action',
  'failed',
  'voided',
];

export function fulfilmentLabel(status: string): string {
  return status === 'fulfilled' ? 'Fulfilled' : 'Unfulfilled';
}

export function fulfilmentTone(status: string): Tone {
  return status === 'fulfilled' ? 'neutral' : 'attention';
}

const EVENT_LABELS: Record<string, string> = {
  placed: 'Placed',
  payment_attempt: 'Payment attempt',
  paid: 'Paid',
  requires_action: 'Awaiting authentication',
  payment_failed: 'Payment failed',
  refunded: 'Refunded',
  restocked: 'Restocked',
  fulfilled: 'Fulfilled',
  note: 'Note',
  cancelled: 'Cancelled',
  reservation_expired: 'Reservation expired',
  oversold: 'Oversold',
  oversold_restocked: 'Restocked for this order',
  refund_failed: 'Refund failed',
  restock_waiting: 'Restock waiting for the refund',
  dispute_opened: 'Dispute opened',
  dispute_updated: 'Dispute updated',
  dispute_closed: 'Dispute closed',
};

/** A code as words: "payment_failed" → "Payment failed". */
function codeWords(code: string): string {
  const words = code.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** An event kind of the core's timeline as a heading ("payment_failed" → "Payment failed"). */
export function eventLabel(kind: string): string {
  return EVENT_LABELS[kind] ?? codeWords(kind);
}

// Kinds whose messages from the core always say what happened, in words of their own
// ("Refund pending: 10.00 USD (re_1)", "Dispute under review (dp_1)"): a name before them
// would only repeat it, or contradict it ("Refunded · Refund pending…").
const SPEAKS_FOR_ITSELF = new Set([
  'refunded',
  'refund_failed',
  'dispute_opened',
  'dispute_updated',
  'dispute_closed',
]);

/**
 * One timeline line: the core's message, under the event's name when the message does not
 * already say it ("Note · Gift wrap", but just "Refunded 10.00 USD (re_1)").
 */
export function eventText(kind: string, message: string): string {
  const label = eventLabel(kind);
  const says = SPEAKS_FOR_ITSELF.has(kind) || message.toLowerCase().includes(label.toLowerCase());
  return says ? message : `${label} · ${message}`;
}

// Stripe's dispute reasons and statuses (https://docs.stripe.com/api/disputes/object) in the
// owner's words; a code Stripe adds later reads as its words ("new_reason" → "New reason").
const DISPUTE_REASONS: Record<string, string> = {
  bank_cannot_process: 'Bank cannot process',
  check_returned: 'Check returned',
  credit_not_processed: 'Credit not processed',
  customer_initiated: 'Customer initiated',
  debit_not_authorized: 'Debit not authorised',
  duplicate: 'Duplicate payment',
  fraudulent: 'Fraudulent',
  general: 'General',
  incorrect_account_details: 'Incorrect account details',
  insufficient_funds: 'Insufficient funds',
  noncompliant: 'Noncompliant',
  product_not_received: 'Product not received',
  product_unacceptable: 'Product unacceptable',
  subscription_canceled: 'Subscription cancelled',
  unrecognized: 'Unrecognised',
};

const DISPUTE_STATUSES: Record<string, string> = {
  warning_needs_response: 'Inquiry: needs a response',
  warning_under_review: 'Inquiry: under review',
  warning_closed: 'Inquiry closed',
  needs_response: 'Needs a response',
  under_review: 'Under review by the bank',
  won: 'Won',
  lost: 'Lost',
  prevented: 'Prevented',
};

/** Why the cardholder disputed the payment, from Stripe's reason code. */
export function disputeReason(reason: string): string {
  return DISPUTE_REASONS[reason] ?? codeWords(reason);
}

/** Where the dispute stands, from Stripe's status code. */
export function disputeStatus(status: string): string {
  return DISPUTE_STATUSES[status] ?? codeWords(status);
}

/** A dispute's colour: amber while the owner can answer, grey once closed, blue in between. */
export function disputeTone(dispute: { needs_response: boolean; closed: boolean }): Tone {
  if (dispute.needs_response) return 'attention';
  return dispute.closed ? 'neutral' : 'info';
}

/** An ISO-8601 time in the owner's words: "27 Nov 2026, 18:04". */
export function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The day only: "27 Nov 2026". */
export function day(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/**
 * The refund amount typed by the owner ("12.50", "$12.50", "12") as minor units of `currency`,
 * with integer maths only, checked against what is `left` to refund.
 */
export function refundAmount(
  text: string,
  currency: string,
  left: number,
): { amount: number } | { error: string } {
  if (!text.trim()) return { error: 'Type the amount to refund.' };
  const amount = parseMoney(text, currency);
  if (amount === null) {
    return { error: `Type an amount such as ${minorToInput(Math.min(left, 1250), currency)}.` };
  }
  if (amount === 0) return { error: 'The amount must be more than zero.' };
  if (amount > left) {
    return { error: `At most ${formatMoney(left, currency)} is left to refund.` };
  }
  return { amount };
}

/** "UA" → "Ukraine"; an unknown code stays as it is. */
export function countryName(code: string): string {
  return COUNTRIES.find(([c]) => c === code)?.[1] ?? code;
}

const BRANDS: Record<string, string> = {
  amex: 'American Express',
  diners: 'Diners Club',
  jcb: 'JCB',
  mastercard: 'Mastercard',
  unionpay: 'UnionPay',
  visa: 'Visa',
};

/** A card brand as Stripe names it ("visa") in the owner's words ("Visa"). */
export function cardBrand(brand: string): string {
  return BRANDS[brand] ?? brand.charAt(0).toUpperCase() + brand.slice(1);
}

/** What a catch-up with Stripe's events did, in words. */
export function syncSummary(report: SyncReport): string {
  const seen = `${report.seen} ${report.seen === 1 ? 'event' : 'events'} seen`;
  const applied = report.applied === 0 ? `${seen}, nothing new` : `${seen}, ${report.applied} applied`;
  return report.failed === 0
    ? applied
    : `${applied}; ${report.failed} not applied yet (${report.first_failure}), tried again next time`;
}

/** "Exported 12 orders (19 rows) to /path/orders.csv." */
export function ordersExportMessage(summary: OrdersExportSummary): string {
  const what = `${plural(summary.orders, 'order', 'orders')} (${plural(summary.rows, 'row', 'rows')})`;
  return `Exported ${what} to ${summary.file}.`;
}
