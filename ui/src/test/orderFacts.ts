// The facts and allowed actions the core sends with an order (line totals, what is paid and
// refundable, what cancelling does), filled in for the hand-made orders of the test fakes.
// orderFacts.test.ts holds them to the orders the core produces (./bindings/orderFixtures),
// so a fake cannot let an order do what the core refuses.
import type { Order } from '../lib/ordersApi';

type Bare = Omit<Order, 'paid' | 'net_payment' | 'actions' | 'lines'> & {
  lines: Omit<Order['lines'][number], 'total'>[];
};

export function withFacts(o: Bare | Order): Order {
  const paid = ['paid', 'partially_refunded', 'refunded'].includes(o.payment_status);
  const left = o.totals.total - o.amount_refunded;
  const units = o.lines.reduce((n, l) => n + l.quantity, 0);
  const shipped = o.fulfillment_status === 'fulfilled';
  const none = { refused: null, refund: 0, restock_units: 0, release_units: 0, voids_payment: false };
  let cancel: Order['actions']['cancel'];
  if (o.status === 'cancelled') {
    cancel = { ...none, refused: `Order ${o.number} is already cancelled` };
  } else if (!paid) {
    cancel = { ...none, release_units: units, voids_payment: o.payment_intent_id !== null };
  } else if (shipped && o.payment_status !== 'refunded') {
    cancel = {
      ...none,
      refused: `Order ${o.number} cannot be cancelled: it is fulfilled, and a fulfilled order cannot be cancelled without a refund; refund it in full first`,
    };
  } else {
    cancel = { ...none, refund: left, restock_units: shipped ? 0 : units - o.oversold_units };
  }
  let fulfil_refused: string | null = null;
  if (o.status === 'cancelled') fulfil_refused = `Order ${o.number} cannot be fulfilled: it is cancelled`;
  else if (shipped) fulfil_refused = `Order ${o.number} is already fulfilled`;
  else if (o.payment_status === 'refunded') fulfil_refused = `Order ${o.number} cannot be fulfilled: it was refunded in full`;
  else if (o.payment_status === 'failed') fulfil_refused = `Order ${o.number} cannot be fulfilled: its payment failed`;
  else if (o.payment_status === 'voided') fulfil_refused = `Order ${o.number} cannot be fulfilled: its payment was voided`;
  else if (!paid) fulfil_refused = `Order ${o.number} cannot be fulfilled: it is not paid (${o.payment_status})`;
  return {
    ...o,
    lines: o.lines.map((l) => ({ ...l, total: l.unit_price * l.quantity })),
    paid,
    net_payment: left,
    actions: { fulfil_refused, refundable: paid && o.payment_intent_id !== null ? left : 0, cancel },
  };
}
