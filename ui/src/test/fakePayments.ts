// The checkout's side of the shell, faked on top of fakeShop: Stripe status, quotes, orders and
// payments, with outcomes a test chooses; plus a stand-in for Stripe.js in the page.
import { mockIPC } from '@tauri-apps/api/mocks';

import type { Order, PaymentStep, StripeStatus } from '../lib/api';
import type { PaymentStatus } from '../lib/bindings/PaymentStatus';
import type { CardElement, StripeJs } from '../checkout/stripe';
import { installFakeShop, type FakeShop } from './fakeShop';
import { withFacts } from './orderFacts';

/** Plain localstripe: an emulator, driven with its own dialect rather than as Stripe. */
export const emulatorStatus: StripeStatus = {
  api_base: 'http://127.0.0.1:8420',
  api_base_source: 'environment',
  emulator: true,
  behaves_as_stripe: false,
  secret_key_masked: 'sk_test_…demo',
  secret_key_source: 'environment',
  publishable_key: 'pk_test_demo',
  publishable_key_source: 'environment',
  webhook_secret_set: false,
  webhook_secret_source: null,
  js_url: 'http://127.0.0.1:8420/js.stripe.com/v3/',
  ready: true,
  problem: null,
};

export interface FakePayments extends FakeShop {
  status: StripeStatus;
  /** What paying does: the status the order ends in, and whether 3-D Secure is asked first. */
  outcome: { status: PaymentStatus; message: string; threeDSecure?: boolean };
  orders: Map<string, Order>;
  /**
   * What the page asked of Stripe.js: the client secrets given to `handleNextAction` and to
   * `confirmCardPayment`, and the card field it made.
   */
  stripe: { nextActions: string[]; confirmed: string[]; card: CardElement | null };
  /** When set, paying fails with this error instead (say, an outcome the core cannot know). */
  payError: { code: string; message: string } | null;
}

export function installFakePayments(): FakePayments {
  const base = installFakeShop();
  const fake: FakePayments = {
    ...base,
    status: emulatorStatus,
    outcome: { status: 'paid', message: 'Paid 19.00 USD by visa •••• 4242' },
    orders: new Map(),
    stripe: { nextActions: [], confirmed: [], card: null },
    payError: null,
  };
  // Keep the storefront's commands, add the checkout's.
  const storefront = captureHandler();
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    switch (cmd) {
      case 'stripe_status':
        fake.calls.push({ cmd, args });
        return fake.status;
      case 'checkout_quote':
        fake.calls.push({ cmd, args });
        return { currency: 'USD', subtotal: subtotal(fake), discount: 0, shipping: 500, tax: 0, total: subtotal(fake) + 500 };
      case 'place_order': {
        fake.calls.push({ cmd, args });
        const number = `FS-${1001 + fake.orders.size}`;
        const order = makeOrder(fake, number, args.customer);
        fake.orders.set(number, order);
        fake.cart.clear();
        return order;
      }
      case 'pay_order': {
        fake.calls.push({ cmd, args });
        if (fake.payError) throw fake.payError;
        const order = fake.orders.get(args.number as string)!;
        const step: PaymentStep = fake.outcome.threeDSecure
          ? { order: { ...order, payment_status: 'requires_action' }, client_secret: 'pi_1_secret_2' }
          : { order: settle(order, fake), client_secret: null };
        return step;
      }
      case 'restore_cart': {
        // As the core answers: only an order that failed for certain goes back in the cart.
        fake.calls.push({ cmd, args });
        const order = settle(fake.orders.get(args.number as string)!, fake);
        if (fake.payError || !['failed', 'voided'].includes(order.payment_status)) {
          throw { code: 'forbidden', message: `order ${order.number} was not put back in the cart` };
        }
        if (fake.cart.size === 0) for (const line of order.lines) fake.cart.set(line.sku, line.quantity);
        return storefront('cart', {});
      }
      case 'refresh_payment':
      case 'order': {
        fake.calls.push({ cmd, args });
        return settle(fake.orders.get(args.number as string)!, fake);
      }
      default:
        return storefront(cmd, payload);
    }
  });
  return fake;
}

/**
 * A Stripe.js stand-in: the card field is one input; payment methods are `pm_<n>`. With
 * `nextAction: false` it lacks `handleNextAction`, as plain localstripe's stand-in does.
 */
export function installFakeStripeJs(fake: FakePayments, { nextAction = true } = {}) {
  let made = 0;
  const stripe: StripeJs = {
    elements: () => ({
      create: () => {
        const card: CardElement = {
          mount: (target) => {
            const input = document.createElement('input');
            input.setAttribute('aria-label', 'Card number');
            target.append(input);
          },
          destroy: () => {},
        };
        fake.stripe.card = card;
        return card;
      },
    }),
    createPaymentMethod: async () => ({ paymentMethod: { id: `pm_${++made}` } }),
    createToken: async () => ({ error: { message: 'not used' } }),
    confirmCardPayment: async (secret) => {
      fake.stripe.confirmed.push(secret);
      return { paymentIntent: { status: 'succeeded' } };
    },
  };
  if (nextAction) {
    stripe.handleNextAction = async ({ clientSecret }) => {
      fake.stripe.nextActions.push(clientSecret);
      return { paymentIntent: { status: 'succeeded' } };
    };
  }
  window.Stripe = () => stripe;
}

// mockIPC keeps one handler: remember fakeShop's before replacing it.
function captureHandler(): (cmd: string, payload: unknown) => unknown {
  const internals = (window as unknown as { __TAURI_INTERNALS__: { invoke: (cmd: string, args: unknown) => Promise<unknown> } })
    .__TAURI_INTERNALS__;
  const invoke = internals.invoke.bind(internals);
  return (cmd, payload) => invoke(cmd, payload);
}

function subtotal(fake: FakeShop): number {
  let total = 0;
  for (const [sku, quantity] of fake.cart) total += (sku === 'PL-3X5' ? 2500 : 1900) * quantity;
  return total;
}

function makeOrder(fake: FakeShop, number: string, customer: unknown): Order {
  const c = customer as { email: string; name: string; address: Order['address'] };
  const lines = [...fake.cart].map(([sku, quantity]) => ({
    sku,
    title: 'Ukraine Snake Island Flag',
    options: '2x3 ft / Polyester',
    unit_price: 1900,
    quantity,
  }));
  const sub = lines.reduce((n, l) => n + l.unit_price * l.quantity, 0);
  return withFacts({
    id: 1,
    number,
    email: c.email,
    customer_name: c.name,
    address: c.address,
    totals: { currency: 'USD', subtotal: sub, discount: 0, shipping: 500, tax: 0, total: sub + 500 },
    discount_code: null,
    status: 'open',
    payment_status: 'pending',
    fulfillment_status: 'unfulfilled',
    payment_intent_id: 'pi_1',
    test: false,
    card_brand: null,
    card_last4: null,
    payment_attempts: 0,
    amount_refunded: 0,
    amount_refund_pending: 0,
    dispute: null,
    oversold_units: 0,
    carrier: null,
    tracking_number: null,
    lines,
    events: [{ kind: 'placed', message: 'Order placed', created_at: '2026-11-27T10:00:00Z' }],
    created_at: '2026-11-27T10:00:00Z',
    paid_at: null,
    fulfilled_at: null,
    cancelled_at: null,
  });
}

function settle(order: Order, fake: FakePayments): Order {
  const settled: Order = withFacts({
    ...order,
    payment_status: fake.outcome.status,
    events: [...order.events, { kind: fake.outcome.status, message: fake.outcome.message, created_at: '2026-11-27T10:01:00Z' }],
  });
  fake.orders.set(order.number, settled);
  return settled;
}
