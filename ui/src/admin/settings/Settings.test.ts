import { mockIPC } from '@tauri-apps/api/mocks';
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import type {
  DiscountCodeInfo,
  PricingForm,
  StoreSettings,
  StripeConfigUpdate,
  StripeStatus,
} from '../../lib/settingsApi';
import { fakeBackups } from '../../test/fakeBackups';
import Settings from './Settings.svelte';
import { stripeUpdate } from './settings';

const SECRET = 'sk_test_51VerySecretValue1234';

function stripeStatus(overrides: Partial<StripeStatus> = {}): StripeStatus {
  return {
    api_base: 'http://127.0.0.1:8420',
    api_base_source: 'settings',
    emulator: true,
    behaves_as_stripe: false,
    secret_key_masked: 'sk_test_…1234',
    secret_key_source: 'settings',
    publishable_key: 'pk_test_51Public',
    publishable_key_source: 'settings',
    webhook_secret_set: true,
    webhook_secret_source: 'settings',
    js_url: 'http://127.0.0.1:8420/js.stripe.com/v3/',
    ready: true,
    problem: null,
    ...overrides,
  };
}

interface Fake {
  calls: { cmd: string; args: Record<string, unknown> }[];
  commands: (cmd: string) => Record<string, unknown>[];
}

/**
 * A back end for the Settings commands (the backup ones from ../../test/fakeBackups): `answers`
 * overrides a command's reply (or throws).
 */
function installFake(answers: Record<string, (args: Record<string, unknown>) => unknown> = {}): Fake {
  const calls: Fake['calls'] = [];
  let store: StoreSettings = { name: 'Flagshop', currency: 'USD', currency_locked: null, low_stock_default: 5 };
  let pricing: PricingForm = {
    tax_rate: '8.25',
    prices_include_tax: false,
    shipping_rates: [
      { zone: 'Domestic', countries: 'US', amount: '5.00' },
      { zone: 'Rest of world', countries: '*', amount: '15.00' },
    ],
  };
  let codes: DiscountCodeInfo[] = [
    {
      code: 'WELCOME10',
      percent: true,
      value: 1000,
      value_text: '10',
      starts_on: null,
      ends_on: null,
      usage_limit: null,
      times_used: 3,
      state: 'active',
    },
    {
      code: 'FIVE',
      percent: false,
      value: 500,
      value_text: '5.00',
      starts_on: '2026-12-01',
      ends_on: '2026-12-31',
      usage_limit: 100,
      times_used: 100,
      state: 'used_up',
    },
  ];
  let stripe = stripeStatus();
  const backups = fakeBackups();
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    const answer = answers[cmd];
    if (answer) return answer(args);
    if (backups.handles(cmd)) return backups.answer(cmd, args);
    switch (cmd) {
      case 'store_settings':
        return store;
      case 'save_store_settings': {
        const update = args.update as { name: string; currency: string; low_stock_default: string };
        store = { ...store, name: update.name, currency: update.currency, low_stock_default: Number(update.low_stock_default) };
        return store;
      }
      case 'pricing_settings':
        return pricing;
      case 'save_pricing_settings':
        pricing = args.form as PricingForm;
        return pricing;
      case 'discount_codes':
        return codes;
      case 'save_discount_code': {
        const form = args.form as { code: string; value: string };
        codes = [
          ...codes,
          { ...codes[0]!, code: form.code, value_text: form.value, value: Number(form.value) * 100, times_used: 0 },
        ];
        return codes;
      }
      case 'end_discount_code':
        codes = codes.map((c) => (c.code === args.code ? { ...c, state: 'ended' } : c));
        return codes;
      case 'delete_discount_code':
        codes = codes.filter((c) => c.code !== args.code);
        return codes;
      case 'stripe_settings':
        return stripe;
      case 'save_stripe_settings': {
        const update = args.update as StripeConfigUpdate;
        if (update.secret_key) stripe = { ...stripe, secret_key_masked: `sk_test_…${update.secret_key.slice(-4)}` };
        return stripe;
      }
      case 'test_stripe_connection':
        return 'Connected to the local Stripe emulator at http://127.0.0.1:8420: the secret key was accepted';
      default:
        throw { code: 'internal', message: `unexpected command ${cmd}` };
    }
  });
  return {
    calls,
    commands: (cmd) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
  };
}

function invalid(field: string | null, message: string, variant: number | null = null) {
  return () => {
    throw { code: 'invalid', message, field, variant };
  };
}

function section(name: string): HTMLElement {
  return screen.getByRole('region', { name });
}

describe('the page', () => {
  it('has its sections in order, ending with backups', async () => {
    installFake();
    render(Settings);
    expect(await within(section('Backups')).findAllByTestId('backup-row')).toHaveLength(3);
    expect(screen.getAllByRole('region').map((r) => r.getAttribute('aria-labelledby'))).toEqual([
      'store-title',
      'pricing-title',
      'discounts-title',
      'payments-title',
      'backups-title',
    ]);
    expect(screen.queryByText(/unexpected command/)).not.toBeInTheDocument();
  });
});

describe('store details', () => {
  it('saves the name and shows the core refusal next to its field', async () => {
    const fake = installFake({ save_store_settings: invalid('low_stock_default', '"-2" is not a whole number of units from 0 to 1000000') });
    const user = userEvent.setup();
    render(Settings);
    const name = await screen.findByLabelText('Shop name');
    expect(name).toHaveValue('Flagshop');
    await user.clear(name);
    await user.type(name, 'Kyiv Flags');
    const threshold = screen.getByLabelText('Low-stock threshold');
    await user.clear(threshold);
    await user.type(threshold, '-2');
    await user.click(within(section('Store details')).getByRole('button', { name: 'Save' }));
    expect(fake.commands('save_store_settings')).toEqual([
      { update: { name: 'Kyiv Flags', currency: 'USD', low_stock_default: '-2' } },
    ]);
    expect(await screen.findByText('"-2" is not a whole number of units from 0 to 1000000.')).toBeInTheDocument();
    expect(threshold).toHaveAttribute('aria-invalid', 'true');
    expect(threshold).toHaveAccessibleDescription('"-2" is not a whole number of units from 0 to 1000000.');
    expect(name).not.toHaveAttribute('aria-invalid');
  });

  it('shows why the currency can no longer change', async () => {
    installFake({
      store_settings: () => ({
        name: 'Flagshop',
        currency: 'USD',
        currency_locked: '3 orders were placed in USD: their totals and refunds stay in USD, so the shop\'s currency can no longer change',
        low_stock_default: 5,
      }),
    });
    render(Settings);
    const currency = await screen.findByLabelText('Currency');
    expect(currency).toHaveAttribute('readonly');
    expect(currency).toHaveAccessibleDescription(/3 orders were placed in USD/);
  });
});

describe('taxes and shipping', () => {
  it('sends the rate and amounts as typed and shows a zone error on its row', async () => {
    const fake = installFake({
      save_pricing_settings: invalid('shipping_countries', 'US is already in the zone "Domestic"', 2),
    });
    const user = userEvent.setup();
    render(Settings);
    const tax = await screen.findByLabelText('Tax rate');
    expect(tax).toHaveValue('8.25');
    await user.clear(tax);
    await user.type(tax, '20');
    await user.click(screen.getByLabelText(/Include tax/));
    await user.click(screen.getByRole('button', { name: '+ Add shipping zone' }));
    await user.type(screen.getByLabelText('Zone name, zone 3'), 'Americas');
    await user.type(screen.getByLabelText('Countries, zone 3'), 'CA, US');
    await user.type(screen.getByLabelText('Rate, zone 3'), '9.50');
    await user.click(within(section('Taxes and shipping')).getByRole('button', { name: 'Save' }));
    expect(fake.commands('save_pricing_settings')).toEqual([
      {
        form: {
          tax_rate: '20',
          prices_include_tax: true,
          shipping_rates: [
            { zone: 'Domestic', countries: 'US', amount: '5.00' },
            { zone: 'Rest of world', countries: '*', amount: '15.00' },
            { zone: 'Americas', countries: 'CA, US', amount: '9.50' },
          ],
        },
      },
    ]);
    const countries = screen.getByLabelText('Countries, zone 3');
    expect(await screen.findByText('US is already in the zone "Domestic".')).toBeInTheDocument();
    expect(countries).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Countries, zone 1')).not.toHaveAttribute('aria-invalid');
  });
});

describe('discount codes', () => {
  it('lists codes with their value, uses and state', async () => {
    installFake();
    render(Settings);
    const table = await screen.findByRole('table', { name: 'Discount codes' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell').slice(0, 5).map((c) => c.textContent?.trim()))).toEqual([
      ['WELCOME10', '10% off', 'No end date', '3', 'Active'],
      ['FIVE', '$5.00 off', 'Dec 1, 2026 – Dec 31, 2026', '100 / 100', 'Used up'],
    ]);
  });

  it('creates a code, with the core refusal next to its field', async () => {
    let refuse = true;
    const fake = installFake({
      save_discount_code: (args) => {
        if (refuse) {
          refuse = false;
          invalid('value', 'a discount of 0 % takes nothing off')();
        }
        const form = args.form as { code: string };
        return [{ code: form.code, percent: true, value: 1500, value_text: '15', starts_on: null, ends_on: null, usage_limit: 50, times_used: 0, state: 'active' }];
      },
    });
    const user = userEvent.setup();
    render(Settings);
    await user.click(await screen.findByRole('button', { name: 'Create discount code' }));
    const dialog = screen.getByRole('dialog', { name: 'Create discount code' });
    await user.type(within(dialog).getByLabelText('Code'), 'SPRING15');
    await user.type(within(dialog).getByLabelText('Percentage off'), '0');
    await user.click(within(dialog).getByRole('button', { name: 'Save code' }));
    const value = within(dialog).getByLabelText('Percentage off');
    expect(await within(dialog).findByText('A discount of 0 % takes nothing off.')).toBeInTheDocument();
    expect(value).toHaveAttribute('aria-invalid', 'true');
    await user.clear(value);
    await user.type(value, '15');
    await user.type(within(dialog).getByLabelText('Usage limit'), '50');
    await user.click(within(dialog).getByRole('button', { name: 'Save code' }));
    expect(fake.commands('save_discount_code').at(-1)).toEqual({
      form: { code: 'SPRING15', percent: true, value: '15', starts_on: '', ends_on: '', usage_limit: '50' },
      new: true,
    });
    expect(await screen.findByText('SPRING15 created')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('ends a code, and deletes one after asking', async () => {
    const fake = installFake();
    const user = userEvent.setup();
    render(Settings);
    await user.click(await screen.findByRole('button', { name: 'End WELCOME10 now' }));
    expect(fake.commands('end_discount_code')).toEqual([{ code: 'WELCOME10' }]);
    expect(await screen.findByText('WELCOME10 ended')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Delete FIVE' }));
    const confirm = screen.getByRole('alertdialog', { name: 'Delete FIVE?' });
    expect(fake.commands('delete_discount_code')).toEqual([]);
    await user.click(within(confirm).getByRole('button', { name: 'Delete code' }));
    expect(fake.commands('delete_discount_code')).toEqual([{ code: 'FIVE' }]);
    expect(await screen.findByText('FIVE deleted')).toBeInTheDocument();
  });
});

describe('payments', () => {
  it('shows the server and the masked key, and never fills in a secret', async () => {
    installFake();
    render(Settings);
    const payments = section('Payments');
    expect(await within(payments).findByText('Test payments: local Stripe emulator')).toBeInTheDocument();
    expect(within(payments).getByTestId('secret-key-masked')).toHaveTextContent('sk_test_…1234');
    const secret = within(payments).getByLabelText('Secret key');
    const webhook = within(payments).getByLabelText('Webhook signing secret');
    expect(secret).toHaveAttribute('type', 'password');
    expect(webhook).toHaveAttribute('type', 'password');
    expect(secret).toHaveValue('');
    expect(webhook).toHaveValue('');
    expect(document.body.innerHTML).not.toContain('VerySecretValue');
  });

  it('sends only a typed secret, then empties its field again', async () => {
    const fake = installFake();
    const user = userEvent.setup();
    render(Settings);
    const payments = section('Payments');
    const secret = await within(payments).findByLabelText('Secret key');
    await user.type(secret, SECRET);
    await user.click(within(payments).getByRole('button', { name: 'Save' }));
    expect(fake.commands('save_stripe_settings')).toEqual([{ update: { secret_key: SECRET } }]);
    expect(await within(payments).findByText('Stripe settings saved')).toBeInTheDocument();
    expect(secret).toHaveValue('');
    expect(document.body.innerHTML).not.toContain('VerySecretValue');
  });

  it('shows a refused key with the core message', async () => {
    installFake({
      save_stripe_settings: () => {
        throw {
          code: 'payment',
          message: 'live Stripe keys are refused: Flagshop only runs test payments; use a secret test key (sk_test_… or rk_test_…)',
          field: null,
          variant: null,
        };
      },
    });
    const user = userEvent.setup();
    render(Settings);
    const payments = section('Payments');
    await user.type(await within(payments).findByLabelText('Secret key'), 'sk_live_abc');
    await user.click(within(payments).getByRole('button', { name: 'Save' }));
    expect(await within(payments).findByRole('alert')).toHaveTextContent('Live Stripe keys are refused');
  });

  it('says why a key in use is refused, and that payments are not ready', async () => {
    installFake({
      stripe_settings: () =>
        stripeStatus({
          secret_key_masked: 'sk_live_…WXYZ',
          secret_key_source: 'environment',
          ready: false,
          problem: 'the secret key from the environment: live Stripe keys are refused',
        }),
    });
    render(Settings);
    const payments = section('Payments');
    expect(await within(payments).findByTestId('stripe-problem')).toHaveTextContent(
      'The secret key from the environment: live Stripe keys are refused',
    );
    expect(within(payments).getByText('Refused')).toBeInTheDocument();
    expect(within(payments).getByTestId('secret-key-masked')).toHaveTextContent('sk_live_…WXYZ');
  });

  it('shows values set by the environment read-only, naming the variable', async () => {
    const fake = installFake({
      stripe_settings: () =>
        stripeStatus({
          api_base: 'https://api.stripe.com',
          api_base_source: 'environment',
          emulator: false,
          behaves_as_stripe: true,
          secret_key_source: 'environment',
          publishable_key_source: 'settings',
        }),
    });
    const user = userEvent.setup();
    render(Settings);
    const payments = section('Payments');
    expect(await within(payments).findByText('Stripe (test mode)')).toBeInTheDocument();
    expect(within(payments).getByLabelText('Stripe server')).toHaveAttribute('readonly');
    expect(within(payments).getByLabelText('Secret key')).toBeDisabled();
    expect(within(payments).getByText('STRIPE_API_BASE')).toBeInTheDocument();
    expect(within(payments).getByText('STRIPE_SECRET_KEY')).toBeInTheDocument();
    expect(within(payments).getAllByText(/in the environment, which wins over Settings/)).toHaveLength(2);
    const publishable = within(payments).getByLabelText('Publishable key');
    expect(publishable).not.toHaveAttribute('readonly');
    await user.clear(publishable);
    await user.type(publishable, 'pk_test_other');
    await user.click(within(payments).getByRole('button', { name: 'Save' }));
    expect(fake.commands('save_stripe_settings')).toEqual([{ update: { publishable_key: 'pk_test_other' } }]);
  });

  it('tests the connection and says what it found', async () => {
    let fail = false;
    installFake({
      test_stripe_connection: () => {
        if (fail) {
          throw { code: 'payment', message: 'cannot reach the Stripe server at http://127.0.0.1:8420: connection refused', field: null, variant: null };
        }
        return 'Connected to the local Stripe emulator at http://127.0.0.1:8420: the secret key was accepted';
      },
    });
    const user = userEvent.setup();
    render(Settings);
    const payments = section('Payments');
    await user.click(await within(payments).findByRole('button', { name: 'Test connection' }));
    expect(await within(payments).findByTestId('connection-result')).toHaveTextContent(
      'Connected to the local Stripe emulator at http://127.0.0.1:8420: the secret key was accepted.',
    );
    fail = true;
    await user.click(within(payments).getByRole('button', { name: 'Test connection' }));
    expect(await within(payments).findByText(/Cannot reach the Stripe server/)).toBeInTheDocument();
  });
});

describe('the Stripe update', () => {
  it('never carries a value the environment sets, nor an empty secret', () => {
    const status = stripeStatus({ api_base_source: 'environment', webhook_secret_source: 'environment' });
    expect(
      stripeUpdate({ api_base: 'http://elsewhere', secret_key: '  ', publishable_key: 'pk_test_51Public', webhook_secret: 'whsec_x' }, status),
    ).toEqual({});
    expect(
      stripeUpdate({ api_base: '', secret_key: '', publishable_key: 'pk_test_51Public', webhook_secret: '' }, stripeStatus()),
    ).toEqual({ api_base: '' });
  });
});
