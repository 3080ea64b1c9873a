// Orders, customers and the dashboard behind mockIPC: a few orders in different states (one
// disputed, one oversold) and enough of the core's rules (what may be fulfilled, refunded,
// cancelled or restocked, and why not) for the back office's order screens to be tested.
import { mockIPC } from '@tauri-apps/api/mocks';

import { withFacts } from './orderFacts';
import type {
  CustomerSummary,
  Dashboard,
  Order,
  OrderQuery,
  OrderSummary,
  PaymentStatus,
} from '../lib/ordersApi';

type OrderOver = Partial<Omit<Order, 'lines'>> & { lines?: Omit<Order['lines'][number], 'total'>[] };

export function order(number: string, over: OrderOver = {}): Order {
  return withFacts({
    id: Number(number),
    number,
    email: 'olena@example.com',
    customer_name: 'Olena Buyer',
    address: { line1: '1 Khreshchatyk St', line2: '', city: 'Kyiv', postal_code: '01001', country: 'UA' },
    totals: { currency: 'USD', subtotal: 3900, discount: 0, shipping: 500, tax: 0, total: 4400 },
    discount_code: null,
    status: 'open',
    payment_status: 'paid',
    fulfillment_status: 'unfulfilled',
    payment_intent_id: `pi_${number}`,
    test: false,
    card_brand: 'visa',
    card_last4: '4242',
    payment_attempts: 1,
    amount_refunded: 0,
    amount_refund_pending: 0,
    dispute: null,
    oversold_units: 0,
    carrier: null,
    tracking_number: null,
    lines: [
      {
        sku: 'UA-SNK-3X5-NYL',
        title: 'Ukraine Snake Island Flag',
        options: '3x5 ft / Nylon',
        unit_price: 3900,
        quantity: 1,
      },
    ],
    events: [
      { kind: 'placed', message: 'Order placed by olena@example.com', created_at: '2026-11-20T10:00:00.000Z' },
      { kind: 'payment_attempt', message: 'Payment attempt 1', created_at: '2026-11-20T10:00:01.000Z' },
      { kind: 'paid', message: 'Paid 44.00 USD by visa •••• 4242', created_at: '2026-11-20T10:00:02.000Z' },
    ],
    created_at: '2026-11-20T10:00:00.000Z',
    paid_at: '2026-11-20T10:00:02.000Z',
    fulfilled_at: null,
    cancelled_at: null,
    ...over,
  });
}

export function demoOrders(): Order[] {
  return [
    // Paid after its reservation ran out, when another customer had bought the last flags.
    order('1004', {
      email: 'mykola@example.com',
      customer_name: 'Mykola Lysenko',
      totals: { currency: 'USD', subtotal: 7800, discount: 0, shipping: 500, tax: 0, total: 8300 },
      payment_intent_id: 'pi_1004',
      oversold_units: 2,
      lines: [
        {
          sku: 'PL-3X5-POL',
          title: 'Poland Flag',
          options: '3x5 ft / Polyester',
          unit_price: 3900,
          quantity: 2,
        },
      ],
      created_at: '2026-11-27T09:00:00.000Z',
      paid_at: '2026-11-27T09:40:00.000Z',
      events: [
        { kind: 'placed', message: 'Order placed by mykola@example.com', created_at: '2026-11-27T09:00:00.000Z' },
        { kind: 'payment_attempt', message: 'Payment attempt 1', created_at: '2026-11-27T09:00:01.000Z' },
        { kind: 'requires_action', message: 'Waiting for 3-D Secure', created_at: '2026-11-27T09:00:02.000Z' },
        {
          kind: 'reservation_expired',
          message: 'Reserved stock released: the order was not paid in time',
          created_at: '2026-11-27T09:30:00.000Z',
        },
        { kind: 'paid', message: 'Paid 83.00 USD by visa •••• 4242', created_at: '2026-11-27T09:40:00.000Z' },
        { kind: 'oversold', message: 'PL-3X5-POL: 2 paid for but only 1 in stock', created_at: '2026-11-27T09:40:00.000Z' },
      ],
    }),
    order('1003', {
      email: 'taras@example.com',
      customer_name: 'Taras Shevchenko',
      payment_status: 'requires_action',
      card_brand: null,
      card_last4: null,
      paid_at: null,
      created_at: '2026-11-26T09:00:00.000Z',
      events: [{ kind: 'placed', message: 'Order placed by taras@example.com', created_at: '2026-11-26T09:00:00.000Z' }],
    }),
    order('1002', {
      fulfillment_status: 'fulfilled',
      carrier: 'Nova Poshta',
      tracking_number: 'NP123',
      created_at: '2026-11-24T12:00:00.000Z',
      dispute: {
        stripe_dispute_id: 'dp_1QdemoProductNotReceived',
        amount: 4400,
        reason: 'product_not_received',
        status: 'needs_response',
        needs_response: true,
        closed: false,
        evidence_due_by: '2026-12-04T23:59:59Z',
        created_at: '2026-11-26T08:15:00.000Z',
      },
      events: [
        ...order('1002').events,
        { kind: 'fulfilled', message: 'Fulfilled: shipped with Nova Poshta, tracking NP123', created_at: '2026-11-24T15:00:00.000Z' },
        {
          kind: 'dispute_opened',
          message:
            "Dispute opened: 44.00 USD, reason product not received (dp_1QdemoProductNotReceived); respond in Stripe's dashboard by 2026-12-04T23:59:59Z",
          created_at: '2026-11-26T08:15:00.000Z',
        },
      ],
    }),
    order('1001'),
  ];
}

const SETTLED: PaymentStatus[] = ['paid', 'partially_refunded', 'refunded'];

export interface FakeOrders {
  orders: Order[];
  calls: { cmd: string; args: Record<string, unknown> }[];
  commands(name: string): Record<string, unknown>[];
  /** When set, restocking an oversold order fails with this error instead. */
  restockError: { code: string; message: string } | null;
  /** What the native save dialog answers: a path, or null (the owner cancelled). */
  dialogPath: string | null;
}

function summary(o: Order): OrderSummary {
  return {
    number: o.number,
    email: o.email,
    customer_name: o.customer_name,
    currency: o.totals.currency,
    total: o.totals.total,
    amount_refunded: o.amount_refunded,
    status: o.status,
    payment_status: o.payment_status,
    fulfillment_status: o.fulfillment_status,
    disputed: o.dispute !== null && !o.dispute.closed,
    oversold: o.oversold_units > 0,
    test: o.test,
    items: o.lines.reduce((n, l) => n + l.quantity, 0),
    created_at: o.created_at,
  };
}

function forbidden(o: Order, reason: string): { code: string; message: string } {
  return { code: 'forbidden', message: `order ${o.number} ${reason}` };
}

export function installFakeOrders(orders = demoOrders()): FakeOrders {
  const fake: FakeOrders = {
    orders,
    calls: [],
    commands: (name) => fake.calls.filter((c) => c.cmd === name).map((c) => c.args),
    restockError: null,
    dialogPath: null,
  };
  const find = (number: unknown): Order => {
    const o = fake.orders.find((o) => o.number === number);
    if (!o) throw { code: 'unknown_order', message: `unknown order "${String(number)}"` };
    return o;
  };
  // An order after a change, with its facts and actions as the core would send them again.
  const fresh = (o: Order): Order => Object.assign(o, withFacts(o));
  const event = (o: Order, kind: string, message: string) =>
    o.events.push({ kind, message, created_at: '2026-11-27T18:00:00.000Z' });
  const customers = (): CustomerSummary[] => {
    const by = new Map<string, CustomerSummary & { paid: number }>();
    for (const o of fake.orders.filter((o) => !o.test)) {
      const c = by.get(o.email) ?? {
        email: o.email,
        name: o.customer_name,
        orders_count: 0,
        lifetime_spend: 0,
        average_order: 0,
        currency: 'USD',
        last_order_at: o.created_at,
        paid: 0,
      };
      c.orders_count += 1;
      if (SETTLED.includes(o.payment_status)) {
        c.lifetime_spend += o.totals.total - o.amount_refunded;
        c.paid += 1;
      }
      c.average_order = c.paid === 0 ? 0 : Math.round(c.lifetime_spend / c.paid);
      by.set(o.email, c);
    }
    return [...by.values()].map(({ paid: _paid, ...c }) => c);
  };

  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    fake.calls.push({ cmd, args });
    switch (cmd) {
      case 'shop_info':
        return { name: 'Flagshop', currency: 'USD' };
      case 'plugin:dialog|save':
        return fake.dialogPath;
      case 'export_orders_file': {
        // Real orders placed on the days asked, one row per line item.
        const from = args.from as string | null;
        const to = args.to as string | null;
        const exported = fake.orders
          .filter((o) => !o.test)
          .filter((o) => !from || o.created_at.slice(0, 10) >= from)
          .filter((o) => !to || o.created_at.slice(0, 10) <= to);
        return {
          file: args.path as string,
          orders: exported.length,
          rows: exported.reduce((n, o) => n + o.lines.length, 0),
        };
      }
      case 'search_orders': {
        const q = args.query as OrderQuery;
        const text = q.text?.toLowerCase();
        return fake.orders
          .filter(
            (o) =>
              !text ||
              [o.number, o.email, o.customer_name].some((s) => s.toLowerCase().includes(text)),
          )
          .filter((o) => !q.payment_status || o.payment_status === q.payment_status)
          .filter((o) => !q.fulfillment_status || o.fulfillment_status === q.fulfillment_status)
          .filter((o) => !q.placed_from || o.created_at.slice(0, 10) >= q.placed_from)
          .filter((o) => !q.placed_to || o.created_at.slice(0, 10) <= q.placed_to)
          .filter((o) => !q.disputed || (o.dispute !== null && !o.dispute.closed))
          .filter((o) => !q.oversold || o.oversold_units > 0)
          .filter((o) => q.test === null || q.test === undefined || o.test === q.test)
          .filter(
            (o) =>
              !q.to_fulfil ||
              (o.status === 'open' &&
                o.fulfillment_status === 'unfulfilled' &&
                ['paid', 'partially_refunded'].includes(o.payment_status)),
          )
          .map(summary);
      }
      case 'order':
        return fresh(find(args.number));
      case 'sync_stripe': {
        // Stripe's events say the customer passed 3-D Secure on every order still waiting.
        const waiting = fake.orders.filter((o) => o.payment_status === 'requires_action');
        for (const o of waiting) {
          o.payment_status = 'paid';
          event(o, 'paid', 'Paid (from a Stripe event)');
        }
        return { seen: 3, applied: waiting.length, failed: 0, first_failure: null };
      }
      case 'fulfil_order': {
        const o = fresh(find(args.number));
        // What the core decided for this order, as it sent it.
        if (o.actions.fulfil_refused) throw { code: 'forbidden', message: o.actions.fulfil_refused };
        o.fulfillment_status = 'fulfilled';
        o.carrier = (args.carrier as string | null) ?? null;
        o.tracking_number = args.tracking as string;
        event(o, 'fulfilled', `Fulfilled: tracking ${o.tracking_number}`);
        return fresh(o);
      }
      case 'refund_order': {
        const o = find(args.number);
        const left = o.totals.total - o.amount_refunded;
        const amount = (args.amount as number | null) ?? left;
        o.amount_refunded += amount;
        o.payment_status = o.amount_refunded >= o.totals.total ? 'refunded' : 'partially_refunded';
        event(o, 'refunded', `Refunded ${(amount / 100).toFixed(2)} USD (re_1)`);
        return fresh(o);
      }
      case 'cancel_order': {
        const o = fresh(find(args.number));
        if (o.actions.cancel.refused) throw { code: 'forbidden', message: o.actions.cancel.refused };
        o.status = 'cancelled';
        // A cancelled order lacks nothing any more: it is no longer oversold.
        o.oversold_units = 0;
        event(o, 'cancelled', 'Cancelled');
        return fresh(o);
      }
      case 'restock_oversold': {
        const o = find(args.number);
        if (fake.restockError) throw fake.restockError;
        if (o.oversold_units <= 0) throw forbidden(o, 'is not oversold: nothing to restock');
        event(o, 'oversold_restocked', `${o.lines[0]!.sku}: ${o.oversold_units} received and sold to this order`);
        o.oversold_units = 0;
        return fresh(o);
      }
      case 'preview_test_order_deletion': {
        const numbers = args.numbers as string[];
        const picked = numbers.map(find);
        const ok = picked.filter((o) => o.test);
        const paid = ok.filter((o) => SETTLED.includes(o.payment_status) && o.amount_refunded < o.totals.total);
        return {
          orders: ok.map((o) => o.number),
          refunds: paid.length,
          refund_amount: paid.reduce((n, o) => n + o.totals.total - o.amount_refunded, 0),
          currency: 'USD',
          voids: ok.filter((o) => !SETTLED.includes(o.payment_status) && o.status === 'open').length,
          units_restocked: paid.reduce((n, o) => n + o.lines.reduce((m, l) => m + l.quantity, 0), 0),
          refused: picked
            .filter((o) => !o.test)
            .map((o) => ({ number: o.number, reason: 'is not a test order: only test orders can be deleted' })),
        };
      }
      case 'delete_test_orders': {
        const numbers = args.numbers as string[];
        const gone = numbers.map(find).filter((o) => o.test);
        fake.orders = fake.orders.filter((o) => !gone.includes(o));
        return {
          deleted: gone.map((o) => o.number),
          units_restocked: gone.reduce((n, o) => n + o.lines.reduce((m, l) => m + l.quantity, 0), 0),
          refused: [],
        };
      }
      case 'add_order_note': {
        const o = find(args.number);
        event(o, 'note', (args.text as string).trim());
        return fresh(o);
      }
      case 'customers':
        return customers();
      case 'customer': {
        const c = customers().find((c) => c.email === args.email);
        if (!c) throw { code: 'unknown_customer', message: `no customer with email "${String(args.email)}"` };
        return { customer: c, orders: fake.orders.filter((o) => o.email === c.email).map(summary) };
      }
      case 'dashboard': {
        const days = Array.from({ length: 30 }, (_, i) => {
          const d = new Date(Date.UTC(2026, 9, 29 + i));
          return { day: d.toISOString().slice(0, 10), sales: i % 3 === 0 ? 4400 : 0 };
        });
        const answer = fake.orders.flatMap((o) => (o.dispute?.needs_response ? [o.dispute] : []));
        const deadlines = answer.flatMap((d) => (d.evidence_due_by ? [d.evidence_due_by] : [])).sort();
        const dashboard: Dashboard = {
          currency: 'USD',
          today: '2026-11-27',
          sales_today: 4400,
          sales_this_month: 12_800,
          orders_to_fulfil: 1,
          low_stock_variants: 2,
          oversold_orders: fake.orders.filter((o) => o.oversold_units > 0).length,
          disputes_needing_response: answer.length,
          next_dispute_deadline: deadlines[0] ?? null,
          daily_sales: days,
        };
        return dashboard;
      }
      default:
        throw { code: 'internal', message: `unexpected command ${cmd}` };
    }
  });
  return fake;
}
