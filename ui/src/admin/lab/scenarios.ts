import type { LabScenario } from '../../lib/bindings/LabScenario';

/**
 * The lab's rows, in the order they run (the core's `LabScenario::ALL`), with the names the
 * owner reads and Stripe's test card for each.
 */
export const SCENARIOS: { scenario: LabScenario; title: string; card: string }[] = [
  { scenario: 'success', title: 'Successful payment', card: '4242 4242 4242 4242' },
  { scenario: 'generic_decline', title: 'Generic decline', card: '4000 0000 0000 0002' },
  { scenario: 'charge_declined', title: 'Card declined on charge', card: '4000 0000 0000 0341' },
  { scenario: 'insufficient_funds', title: 'Insufficient funds', card: '4000 0000 0000 9995' },
  { scenario: 'lost_card', title: 'Lost card', card: '4000 0000 0000 9987' },
  { scenario: 'expired_card', title: 'Expired card', card: '4000 0000 0000 0069' },
  { scenario: 'incorrect_cvc', title: 'Incorrect CVC', card: '4000 0000 0000 0127' },
  { scenario: 'processing_error', title: 'Processing error', card: '4000 0000 0000 0119' },
  { scenario: 'three_d_secure_passed', title: '3-D Secure, passed', card: '4000 0025 0000 3155' },
  { scenario: 'three_d_secure_failed', title: '3-D Secure, failed', card: '4000 0025 0000 3155' },
  {
    scenario: 'duplicate_confirm',
    title: 'Same confirmation sent twice (one idempotency key)',
    card: '4242 4242 4242 4242',
  },
  { scenario: 'refund', title: 'Paid, then refunded in full', card: '4242 4242 4242 4242' },
  { scenario: 'dispute', title: 'Paid, then disputed as fraudulent', card: '4000 0000 0000 0259' },
];
