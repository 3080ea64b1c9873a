import { mockIPC } from '@tauri-apps/api/mocks';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import type { LabResult, LabScenario } from '../../lib/api';
import type { LabState } from '../../lib/bindings/LabState';
import type { StripeJs } from '../../checkout/stripe';
import { emulatorStatus } from '../../test/fakePayments';
import CheckoutLab from './CheckoutLab.svelte';

const unsupported: LabScenario[] = ['generic_decline', 'insufficient_funds'];

const CARDS: Record<LabScenario, string> = {
  success: 'visa',
  generic_decline: 'declined',
  charge_declined: 'charge-declined',
  insufficient_funds: 'insufficient-funds',
  lost_card: 'lost-card',
  expired_card: 'expired-card',
  incorrect_cvc: 'incorrect-cvc',
  processing_error: 'processing-error',
  three_d_secure_passed: '3ds',
  three_d_secure_failed: '3ds',
  duplicate_confirm: 'visa',
  refund: 'visa',
  dispute: 'dispute',
};

function expectedOf(scenario: LabScenario): LabState {
  const paid = ['success', 'three_d_secure_passed', 'duplicate_confirm', 'dispute'].includes(scenario);
  return {
    payment_status: scenario === 'refund' ? 'refunded' : paid ? 'paid' : 'failed',
    on_hand_change: paid ? -1 : 0,
    reserved_change: 0,
    disputed: scenario === 'dispute',
  };
}

function result(scenario: LabScenario): LabResult {
  const expected = expectedOf(scenario);
  const base = {
    scenario,
    card: CARDS[scenario],
    sku: 'UA-SNK-3X5-POL',
    expected,
    client_secret: null,
  };
  if (unsupported.includes(scenario)) {
    return {
      ...base,
      actual: null,
      order_number: null,
      verdict: 'not_supported',
      note: 'a generic card decline is not supported by this Stripe server',
      before: null,
    };
  }
  return {
    ...base,
    // The 3-D Secure failure comes back paid here, to show a failing row.
    actual: scenario === 'three_d_secure_failed' ? { ...expected, payment_status: 'paid', on_hand_change: -1 } : expected,
    order_number: 'FS-1001',
    verdict: scenario === 'three_d_secure_failed' ? 'fail' : 'pass',
    note: '',
    before: { on_hand: 40, reserved: 0 },
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

    await waitFor(() => expect(screen.getAllByTestId('verdict')).toHaveLength(13));
    expect(ran).toEqual([
      'success',
      'generic_decline',
      'charge_declined',
      'insufficient_funds',
      'lost_card',
      'expired_card',
      'incorrect_cvc',
      'processing_error',
      'three_d_secure_passed',
      'three_d_secure_failed',
      'duplicate_confirm',
      'refund',
      'dispute',
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
    expect(row('lost_card')).toHaveTextContent('4000 0000 0000 9987');
    expect(row('refund')).toHaveTextContent('Paid, then refunded in full');
    expect(row('refund')).toHaveTextContent('Refunded · stock unchanged');
    expect(row('dispute')).toHaveTextContent('4000 0000 0000 0259');
    expect(row('dispute')).toHaveTextContent('Paid · disputed · on hand −1');
  });

  it('waits for 3-D Secure in the page through Stripe.js, then shows the finished verdict', async () => {
    const finished: LabResult[] = [];
    const awaiting: LabResult = {
      ...result('three_d_secure_passed'),
      actual: null,
      verdict: 'awaiting_authentication',
      note: 'The bank asks for 3-D Secure: complete it in the window Stripe opens.',
      client_secret: 'pi_3Lab_secret_abc',
    };
    mockIPC((cmd, args) => {
      if (cmd === 'stripe_status') {
        return { ...emulatorStatus, behaves_as_stripe: true, js_url: 'http://127.0.0.1:8420/js.stripe.com/v3/' };
      }
      if (cmd === 'lab_sample_sku') return 'UA-SNK-3X5-POL';
      if (cmd === 'run_lab_scenario') return awaiting;
      if (cmd === 'finish_lab_scenario') {
        const sent = (args as { result: LabResult }).result;
        finished.push(sent);
        return { ...sent, client_secret: null, actual: sent.expected, verdict: 'pass', note: 'Paid 19.00 USD by visa •••• 3155' };
      }
      throw { code: 'internal', message: `unexpected ${cmd}` };
    });
    // Stripe.js answers once the test lets the customer finish the challenge.
    const handled: string[] = [];
    let authenticated = () => {};
    const stripeJs: StripeJs = {
      elements: () => {
        throw new Error('the lab makes no card field');
      },
      createToken: async () => ({}),
      confirmCardPayment: async () => {
        throw new Error('handleNextAction is there: confirmCardPayment is not for this server');
      },
      handleNextAction: ({ clientSecret }) => {
        handled.push(clientSecret);
        return new Promise((resolve) => {
          authenticated = () => resolve({ paymentIntent: { status: 'succeeded' } });
        });
      },
    };
    window.Stripe = (key) => {
      expect(key).toBe(emulatorStatus.publishable_key);
      return stripeJs;
    };
    try {
      const user = userEvent.setup();
      render(CheckoutLab);
      expect(await screen.findByTestId('lab-server')).toHaveTextContent(
        'Local test server behaving as Stripe at http://127.0.0.1:8420',
      );

      await user.click(screen.getByRole('button', { name: 'Run 3-D Secure, passed' }));

      const row = document.querySelector("tr[data-scenario='three_d_secure_passed']") as HTMLElement;
      await waitFor(() => expect(handled).toEqual(['pi_3Lab_secret_abc']));
      expect(within(row).getByTestId('verdict')).toHaveTextContent('Waiting for 3-D Secure');
      expect(row).toHaveTextContent('complete it in the window Stripe opens');
      expect(finished).toEqual([]);

      authenticated();

      await waitFor(() => expect(within(row).getByTestId('verdict')).toHaveTextContent('Pass'));
      expect(finished).toEqual([awaiting]);
      expect(row).toHaveTextContent('Paid · on hand −1');
      expect(screen.getByRole('button', { name: 'Run 3-D Secure, passed' })).toBeEnabled();
    } finally {
      delete window.Stripe;
    }
  });

  it('names a server driven as Stripe and Stripe itself', async () => {
    for (const [status, words] of [
      [{ ...emulatorStatus, behaves_as_stripe: true }, 'Local test server behaving as Stripe'],
      [
        { ...emulatorStatus, api_base: 'https://api.stripe.com', emulator: false, behaves_as_stripe: true },
        'Stripe test mode',
      ],
    ] as const) {
      mockIPC((cmd) => {
        if (cmd === 'stripe_status') return status;
        if (cmd === 'lab_sample_sku') return 'UA-SNK-3X5-POL';
        throw { code: 'internal', message: `unexpected ${cmd}` };
      });
      const { unmount } = render(CheckoutLab);
      expect(await screen.findByTestId('lab-server')).toHaveTextContent(`${words} at ${status.api_base}`);
      unmount();
    }
  });

  it('asks Stripe for missed events on demand', async () => {
    mockIPC((cmd) => {
      if (cmd === 'stripe_status') return emulatorStatus;
      if (cmd === 'lab_sample_sku') return 'UA-SNK-3X5-POL';
      if (cmd === 'sync_stripe') return { seen: 3, applied: 1, failed: 0, first_failure: null };
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
