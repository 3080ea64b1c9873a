import type { LabScenario } from '../../lib/bindings/LabScenario';

/** The lab's rows, in the order they run, with the names the owner reads. */
export const SCENARIOS: { scenario: LabScenario; title: string; card: string }[] = [
  { scenario: 'success', title: 'Successful payment', card: '4242 4242 4242 4242' },
  { scenario: 'generic_decline', title: 'Generic decline', card: '4000 0000 0000 0002' },
  { scenario: 'charge_declined', title: 'Card declined on charge', card: '4000 0000 0000 0341' },
  { scenario: 'insufficient_funds', title: 'Insufficient funds', card: '4000 0000 0000 9995' },
  { scenario: 'three_d_secure_passed', title: '3-D Secure, passed', card: '4000 0025 0000 3155' },
  { scenario: 'three_d_secure_failed', title: '3-D Secure, failed', card: '4000 0025 0000 3155' },
  {
    scenario: 'duplicate_confirm',
    title: 'Same confirmation sent twice (one idempotency key)',
    card: '4242 4242 4242 4242',
  },
];
