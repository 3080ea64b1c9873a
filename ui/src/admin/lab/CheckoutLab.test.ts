import { mockIPC } from '@tauri-apps/api/mocks';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import type { LabResult, LabScenario } from '../../lib/api';
import { emulatorStatus } from '../../test/fakePayments';
import CheckoutLab from './CheckoutLab.svelte';

const unsupported: LabScenario[] = ['generic_decline', 'insufficient_funds'];

function result(scenario: LabScenario): LabResult {
  const paid = ['success', 'three_d_secure_passed', 'duplicate_confirm'].includes(scenario);
  const expected = {
    payment_status: paid ? ('paid' as const) : ('failed' as const),
    on_hand_change: paid ? -1 : 0,
    reserved_change: 0,
  };
  if (unsupported.includes(scenario)) {
    return {
      scenario,
      card: 'declined',
      expected,
      actual: null,
      order_number: null,
      verdict: 'not_supported',
      note: 'a generic card decline is not supported by this Stripe server',
    };
  }
  return {
    scenario,
    card: 'visa',
    expected,
    // The 3-D Secure failure comes back paid here, to show a failing row.
    actual: scenario === 'three_d_secure_failed' ? { ...expected, payment_status: 'paid', on_hand_change: -1 } : expected,
    order_number: 'FS-1001',
    verdict: scenario === 'three_d_secure_failed' ? 'fail' : 'pass',
    note: '',
  };
}

describe('checkout lab', () => {
  it('runs every scenario in turn and shows expected against actual', async () => {
    const ran: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'stripe_status') return emulatorStatus;
      if (cmd === 'lab_sample_sku') return 'UA-SNK-3X5-POL';
      if (cmd === 'run_lab_scenario') {
        const scenario = (args as { scenario: LabScenario }).scenario;
        ran.push(scenario);
        return result(scenario);
      }
      throw { code: 'internal', message: `unexpected ${cmd}` };
    });
    const user = userEvent.setup();
    render(CheckoutLab);
    expect(await screen.findByTestId('lab-server')).toHaveTextContent(
      'Test payments: local Stripe emulator at http://127.0.0.1:8420',
    );
    await waitFor(() =>
      expect(screen.getByTestId('lab-server')).toHaveTextContent('1 × UA-SNK-3X5-POL'),
    );

    await user.click(screen.getByRole('button', { name: 'Run all scenarios' }));

    await waitFor(() => expect(screen.getAllByTestId('verdict')).toHaveLength(7));
    expect(ran).toEqual([
      'success',
      'generic_decline',
      'charge_declined',
      'insufficient_funds',
      'three_d_secure_passed',
      'three_d_secure_failed',
      'duplicate_confirm',
    ]);
    const row = (scenario: string) => document.querySelector(`tr[data-scenario='${scenario}']`) as HTMLElement;
    expect(within(row('success')).getByTestId('verdict')).toHaveTextContent('Pass');
    expect(row('success')).toHaveTextContent('Paid · on hand −1');
    expect(within(row('generic_decline')).getByTestId('verdict')).toHaveTextContent(
      'Not supported by this server',
    );
    expect(row('generic_decline')).toHaveTextContent('not supported by this Stripe server');
    expect(within(row('three_d_secure_failed')).getByTestId('verdict')).toHaveTextContent('Fail');
    expect(row('three_d_secure_failed')).toHaveTextContent('Failed · stock unchanged');
  });

  it('asks Stripe for missed events on demand', async () => {
    mockIPC((cmd) => {
      if (cmd === 'stripe_status') return emulatorStatus;
      if (cmd === 'lab_sample_sku') return 'UA-SNK-3X5-POL';
      if (cmd === 'sync_stripe') return { seen: 3, applied: 1 };
      throw { code: 'internal', message: `unexpected ${cmd}` };
    });
    const user = userEvent.setup();
    render(CheckoutLab);
    await user.click(await screen.findByRole('button', { name: 'Check Stripe for missed events' }));
    expect(await screen.findByTestId('sync-report')).toHaveTextContent('3 events seen, 1 applied');
  });

  it('asks for a test key before anything can run', async () => {
    mockIPC((cmd) => {
      if (cmd === 'stripe_status') return { ...emulatorStatus, secret_key_masked: null, ready: false };
      if (cmd === 'lab_sample_sku') return 'UA-SNK-3X5-POL';
      throw { code: 'internal', message: `unexpected ${cmd}` };
    });
    render(CheckoutLab);
    expect(await screen.findByRole('link', { name: 'add a test key in Settings' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Run all scenarios' })).toBeDisabled();
  });
});
