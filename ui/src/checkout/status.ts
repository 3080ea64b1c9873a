import type { PaymentStatus } from '../lib/bindings/PaymentStatus';

const LABELS: Record<PaymentStatus, string> = {
  pending: 'Pending',
  requires_action: 'Awaiting authentication',
  paid: 'Paid',
  partially_refunded: 'Partially refunded',
  refunded: 'Refunded',
  failed: 'Failed',
  voided: 'Voided',
};

/** A payment status as the owner and the customer read it. */
export function paymentLabel(status: PaymentStatus): string {
  return LABELS[status];
}
