import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import App from '../../App.svelte';
import { installFakeOrders, order } from '../../test/fakeOrders';
import { disputeReason, disputeStatus, eventLabel, eventText, refundAmount, when } from './orders';

describe('refund amounts', () => {
  it('become minor units with integer maths, within what is left', () => {
    expect(refundAmount('10.50', 'USD', 4400)).toEqual({ amount: 1050 });
    expect(refundAmount(' $44 ', 'USD', 4400)).toEqual({ amount: 4400 });
    expect(refundAmount('0.29', 'USD', 4400)).toEqual({ amount: 29 });
    expect(refundAmount('1,000', 'JPY', 5000)).toEqual({ amount: 1000 });
    expect(refundAmount('44.01', 'USD', 4400)).toEqual({ error: 'At most $44.00 is left to refund.' });
    expect(refundAmount('0', 'USD', 4400)).toEqual({ error: 'The amount must be more than zero.' });
    expect(refundAmount('', 'USD', 4400)).toEqual({ error: 'Type the amount to refund.' });
    expect(refundAmount('1.005', 'USD', 4400)).toEqual({ error: 'Type an amount such as 12.50.' });
    expect(refundAmount('-5', 'USD', 4400)).toHaveProperty('error');
    expect(refundAmount('ten', 'USD', 4400)).toHaveProperty('error');
  });

  it('timeline kinds read as words', () => {
    expect(eventLabel('payment_failed')).toBe('Payment failed');
    expect(eventLabel('oversold_restocked')).toBe('Restocked for this order');
    expect(eventText('oversold_restocked', 'PL-3X5-POL: 2 received and sold to this order')).toBe(
      'Restocked for this order · PL-3X5-POL: 2 received and sold to this order',
    );
    expect(eventLabel('something_new')).toBe('Something new');
    expect(eventText('note', 'Gift wrap')).toBe('Note · Gift wrap');
    expect(eventText('refunded', 'Refunded 10.00 USD (re_1)')).toBe('Refunded 10.00 USD (re_1)');
  });

  it('refund and dispute events read as the core wrote them, under names of their own', () => {
    expect(eventLabel('refund_failed')).toBe('Refund failed');
    expect(eventLabel('dispute_opened')).toBe('Dispute opened');
    expect(eventLabel('dispute_updated')).toBe('Dispute updated');
    expect(eventLabel('dispute_closed')).toBe('Dispute closed');
    // A pending refund is not "Refunded": the message stands alone.
    expect(eventText('refunded', 'Refund pending: 10.00 USD (re_1)')).toBe('Refund pending: 10.00 USD (re_1)');
    expect(eventText('refund_failed', 'Refund of 10.00 USD failed (re_1): expired_or_canceled_card')).toBe(
      'Refund of 10.00 USD failed (re_1): expired_or_canceled_card',
    );
    expect(eventText('dispute_updated', 'Dispute under review (dp_1)')).toBe('Dispute under review (dp_1)');
    expect(eventText('dispute_closed', 'Dispute closed: won (dp_1)')).toBe('Dispute closed: won (dp_1)');
  });

  it("Stripe's dispute reasons and statuses read as words, new ones too", () => {
    expect(disputeReason('fraudulent')).toBe('Fraudulent');
    expect(disputeReason('product_not_received')).toBe('Product not received');
    expect(disputeReason('some_new_reason')).toBe('Some new reason');
    expect(disputeStatus('needs_response')).toBe('Needs a response');
    expect(disputeStatus('warning_needs_response')).toBe('Inquiry: needs a response');
    expect(disputeStatus('won')).toBe('Won');
    expect(disputeStatus('charge_refunded')).toBe('Charge refunded');
  });
});

function rows(): string[] {
  return screen
    .getAllByRole('row')
    .slice(1)
    .map((r) => r.getAttribute('data-number') ?? '');
}

describe('order list', () => {
  it('shows each order with its payment and fulfilment badges, linking to the detail', async () => {
    installFakeOrders();
    window.location.hash = '#/admin/orders';
    render(App);
    const row = (await screen.findByRole('link', { name: '#1003' })).closest('tr')!;
    expect(within(row).getByText('Awaiting authentication')).toBeInTheDocument();
    expect(within(row).getByText('Unfulfilled')).toBeInTheDocument();
    expect(within(row).getByText('Taras Shevchenko')).toBeInTheDocument();
    expect(within(row).getByText('$44.00')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '#1002' })).toHaveAttribute('href', '#/admin/orders/1002');
    expect(rows()).toEqual(['1004', '1003', '1002', '1001']);
  });

  it('opens on the orders waiting to be shipped from the dashboard card', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    window.location.hash = '#/admin/dashboard';
    render(App);
    await user.click(await screen.findByRole('link', { name: 'Orders to fulfil' }));
    await screen.findByText('2 orders');
    expect(rows()).toEqual(['1004', '1001']);
    expect(screen.getByLabelText('Fulfilment')).toHaveValue('to-fulfil');
    expect(fake.commands('search_orders').at(-1)).toMatchObject({
      query: { to_fulfil: true, fulfillment_status: null },
    });
    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await screen.findByText('4 orders');
  });

  it('filters to disputed orders and marks them in the list', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    window.location.hash = '#/admin/orders';
    render(App);
    const disputed = (await screen.findByRole('link', { name: '#1002' })).closest('tr')!;
    expect(within(disputed).getByText('Disputed')).toBeInTheDocument();
    const calm = screen.getByRole('link', { name: '#1001' }).closest('tr')!;
    expect(within(calm).queryByText('Disputed')).not.toBeInTheDocument();

    await user.click(screen.getByRole('checkbox', { name: 'Disputed' }));
    await screen.findByText('1 order');
    expect(rows()).toEqual(['1002']);
    expect(fake.commands('search_orders').at(-1)).toMatchObject({ query: { disputed: true } });

    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await screen.findByText('4 orders');
    expect(screen.getByRole('checkbox', { name: 'Disputed' })).not.toBeChecked();
    expect(fake.commands('search_orders').at(-1)).toMatchObject({ query: { disputed: false } });
  });

  it('opens on the disputed orders from the dashboard card', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    window.location.hash = '#/admin/dashboard';
    render(App);
    await user.click(await screen.findByRole('link', { name: 'Disputes to answer' }));
    await screen.findByText('1 order');
    expect(window.location.hash).toBe('#/admin/orders?show=disputed');
    expect(rows()).toEqual(['1002']);
    expect(screen.getByRole('checkbox', { name: 'Disputed' })).toBeChecked();
    expect(fake.commands('search_orders').at(-1)).toMatchObject({
      query: { disputed: true, to_fulfil: false },
    });
  });

  it('filters to oversold orders and marks them in the list', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    window.location.hash = '#/admin/orders';
    render(App);
    const oversold = (await screen.findByRole('link', { name: '#1004' })).closest('tr')!;
    expect(within(oversold).getByText('Oversold')).toHaveClass('pill-critical');
    for (const number of ['1003', '1002', '1001']) {
      const calm = screen.getByRole('link', { name: `#${number}` }).closest('tr')!;
      expect(within(calm).queryByText('Oversold')).not.toBeInTheDocument();
    }

    await user.click(screen.getByRole('checkbox', { name: 'Oversold' }));
    await screen.findByText('1 order');
    expect(rows()).toEqual(['1004']);
    expect(fake.commands('search_orders').at(-1)).toMatchObject({ query: { oversold: true, disputed: false } });

    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await screen.findByText('4 orders');
    expect(screen.getByRole('checkbox', { name: 'Oversold' })).not.toBeChecked();
    expect(fake.commands('search_orders').at(-1)).toMatchObject({ query: { oversold: false } });
  });

  it('marks test orders, filters by kind, and deletes the selected ones after saying what that does', async () => {
    const fake = installFakeOrders([
      order('1006', { test: true, email: 'lab@flagshop.test', customer_name: 'Checkout lab' }),
      order('1005', { test: true, payment_status: 'requires_action', email: 'lab@flagshop.test' }),
      order('1001'),
    ]);
    const user = userEvent.setup();
    window.location.hash = '#/admin/orders';
    render(App);
    await screen.findByText('3 orders');
    const row = (number: string) => screen.getByRole('link', { name: `#${number}` }).closest('tr')!;
    expect(within(row('1006')).getByText('Test')).toBeInTheDocument();
    expect(within(row('1001')).queryByText('Test')).not.toBeInTheDocument();
    // Only test orders can be picked.
    expect(within(row('1001')).queryByRole('checkbox')).not.toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText('Orders'), 'real');
    await screen.findByText('1 order');
    expect(fake.commands('search_orders').at(-1)).toMatchObject({ query: { test: false } });
    await user.selectOptions(screen.getByLabelText('Orders'), 'test');
    await screen.findByText('2 orders');
    expect(rows()).toEqual(['1006', '1005']);

    await user.click(screen.getByRole('checkbox', { name: 'Select every test order shown' }));
    expect(screen.getByTestId('bulk-bar')).toHaveTextContent('2 test orders selected');
    await user.click(screen.getByRole('button', { name: 'Delete test orders…' }));
    const dialog = await screen.findByRole('dialog');
    await waitFor(() =>
      expect(within(dialog).getByTestId('delete-test-effect')).toHaveTextContent(
        '1 paid order is refunded at Stripe first: $44.00.',
      ),
    );
    expect(within(dialog).getByTestId('delete-test-effect')).toHaveTextContent('1 unpaid payment is voided at Stripe');
    expect(within(dialog).getByTestId('delete-test-effect')).toHaveTextContent('1 unit goes back in stock');
    await user.click(within(dialog).getByRole('button', { name: 'Delete 2 test orders' }));
    expect(await screen.findByTestId('deleted')).toHaveTextContent('2 test orders deleted; 2 units back in stock.');
    expect(fake.commands('delete_test_orders')).toEqual([{ numbers: ['1006', '1005'] }]);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.queryByTestId('bulk-bar')).not.toBeInTheDocument();
    await screen.findByText('No orders match');
  });

  it('shows real orders only when opened from a dashboard card, as the dashboard counts them', async () => {
    const fake = installFakeOrders([order('1002', { test: true }), order('1001')]);
    window.location.hash = '#/admin/orders?show=to-fulfil';
    render(App);
    await screen.findByText('1 order');
    expect(screen.getByLabelText('Orders')).toHaveValue('real');
    expect(fake.commands('search_orders').at(-1)).toMatchObject({ query: { test: false, to_fulfil: true } });
  });

  it('opens on the oversold orders from the dashboard card', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    window.location.hash = '#/admin/dashboard';
    render(App);
    await user.click(await screen.findByRole('link', { name: 'Oversold orders' }));
    await screen.findByText('1 order');
    expect(window.location.hash).toBe('#/admin/orders?show=oversold');
    expect(rows()).toEqual(['1004']);
    expect(screen.getByRole('checkbox', { name: 'Oversold' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Disputed' })).not.toBeChecked();
    expect(fake.commands('search_orders').at(-1)).toMatchObject({
      query: { oversold: true, disputed: false, to_fulfil: false },
    });
  });

  it('checks Stripe for missed events and shows the list as it is now', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    window.location.hash = '#/admin/orders';
    render(App);
    const row = (await screen.findByRole('link', { name: '#1003' })).closest('tr')!;
    expect(within(row).getByText('Awaiting authentication')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Check Stripe for updates' }));
    expect(await screen.findByRole('status')).toHaveTextContent('3 events seen, 1 applied');
    const after = screen.getByRole('link', { name: '#1003' }).closest('tr')!;
    await waitFor(() => expect(within(after).getByText('Paid')).toBeInTheDocument());
    expect(fake.commands('sync_stripe')).toHaveLength(1);
  });

  it('filters by payment status, fulfilment status, date and text', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    window.location.hash = '#/admin/orders';
    render(App);
    await screen.findByRole('link', { name: '#1003' });

    await user.selectOptions(screen.getByLabelText('Payment'), 'paid');
    await screen.findByText('3 orders');
    expect(rows()).toEqual(['1004', '1002', '1001']);

    await user.selectOptions(screen.getByLabelText('Fulfilment'), 'unfulfilled');
    await screen.findByText('2 orders');
    expect(rows()).toEqual(['1004', '1001']);
    expect(fake.commands('search_orders').at(-1)).toEqual({
      query: {
        text: null,
        payment_status: 'paid',
        fulfillment_status: 'unfulfilled',
        placed_from: null,
        placed_to: null,
        to_fulfil: false,
        disputed: false,
        oversold: false,
        test: null,
      },
    });

    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await screen.findByText('4 orders');
    await user.type(screen.getByLabelText('Placed from'), '2026-11-23');
    await screen.findByText('3 orders');
    expect(rows()).toEqual(['1004', '1003', '1002']);

    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await user.type(screen.getByLabelText('Search'), 'taras');
    await screen.findByText('1 order');
    expect(rows()).toEqual(['1003']);
    expect(fake.commands('search_orders').at(-1)).toMatchObject({ query: { text: 'taras' } });
  });

  it("exports the real orders of the chosen days to the file the save dialog returned", async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    window.location.hash = '#/admin/orders';
    render(App);
    await screen.findByRole('link', { name: '#1003' });
    const button = screen.getByRole('button', { name: 'Export CSV' });
    expect(button).toHaveAttribute(
      'title',
      "Real orders only, one row per line item, in Shopify's orders export columns",
    );

    // Cancelled in the save dialog: nothing is written.
    await user.click(button);
    await waitFor(() => expect(fake.commands('plugin:dialog|save')).toHaveLength(1));
    await waitFor(() => expect(button).toBeEnabled());
    expect(fake.commands('export_orders_file')).toHaveLength(0);

    await user.type(screen.getByLabelText('Placed from'), '2026-11-23');
    await screen.findByText('3 orders');
    fake.dialogPath = '/home/owner/accounts/orders.csv';
    await user.click(button);
    expect(await screen.findByRole('status')).toHaveTextContent(
      'Exported 3 orders (3 rows) to /home/owner/accounts/orders.csv.',
    );
    expect(fake.commands('plugin:dialog|save').at(-1)).toEqual({
      options: { defaultPath: 'orders.csv', filters: [{ name: 'CSV', extensions: ['csv'] }] },
    });
    expect(fake.commands('export_orders_file')).toEqual([
      { path: '/home/owner/accounts/orders.csv', from: '2026-11-23', to: null },
    ]);
  });

  it('says so when nothing matches', async () => {
    installFakeOrders();
    const user = userEvent.setup();
    window.location.hash = '#/admin/orders';
    render(App);
    await screen.findByRole('link', { name: '#1003' });
    await user.selectOptions(screen.getByLabelText('Payment'), 'voided');
    expect(await screen.findByRole('heading', { name: 'No orders match' })).toBeInTheDocument();
  });
});

/** Opens the order's page and waits for it (not the page of the test before). */
async function openOrder(number: string) {
  window.location.hash = `#/admin/orders/${number}`;
  const result = render(App);
  await screen.findByRole('heading', { name: `#${number}` });
  return result;
}

describe('order detail', () => {
  it('shows the lines, totals, customer, card and PaymentIntent, and the timeline newest first', async () => {
    installFakeOrders();
    const user = userEvent.setup();
    await openOrder('1001');
    expect(screen.getByTestId('payment-status')).toHaveTextContent('Paid');
    expect(screen.getByText('Ukraine Snake Island Flag', { selector: '.line-title' })).toBeInTheDocument();
    expect(screen.getByTestId('card')).toHaveTextContent('Visa •••• 4242');
    expect(screen.getByTestId('payment-intent')).toHaveTextContent('pi_1001');
    expect(screen.getByRole('link', { name: 'Olena Buyer' })).toHaveAttribute(
      'href',
      '#/admin/customers/olena%40example.com',
    );
    const kinds = () =>
      within(screen.getByTestId('timeline'))
        .getAllByRole('listitem')
        .map((li) => li.querySelector('p')?.dataset.kind);
    expect(kinds()).toEqual(['paid', 'payment_attempt', 'placed']);
    await user.click(screen.getByRole('button', { name: 'Newest first' }));
    expect(kinds()).toEqual(['placed', 'payment_attempt', 'paid']);
  });

  it('fulfils with a carrier and tracking number', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    await openOrder('1001');
    await user.click(await screen.findByRole('button', { name: 'Fulfil items' }));
    const dialog = screen.getByRole('dialog', { name: 'Fulfil items' });
    await user.type(within(dialog).getByLabelText('Tracking number'), 'UA123456789');
    await user.type(within(dialog).getByLabelText('Carrier'), 'Ukrposhta');
    await user.click(within(dialog).getByRole('button', { name: 'Fulfil items' }));
    expect(fake.commands('fulfil_order')).toEqual([
      { number: '1001', carrier: 'Ukrposhta', tracking: 'UA123456789' },
    ]);
    expect(await screen.findByTestId('tracking')).toHaveTextContent('Shipped with Ukrposhta · tracking UA123456789');
    expect(screen.getByTestId('fulfilment-status')).toHaveTextContent('Fulfilled');
  });

  it('shows the reason when the core refuses a transition', async () => {
    installFakeOrders();
    const user = userEvent.setup();
    await openOrder('1003');
    await user.click(await screen.findByRole('button', { name: 'Fulfil items' }));
    const dialog = screen.getByRole('dialog', { name: 'Fulfil items' });
    await user.type(within(dialog).getByLabelText('Tracking number'), 'T1');
    await user.click(within(dialog).getByRole('button', { name: 'Fulfil items' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Order 1003 cannot be fulfilled: it is not paid (requires_action).',
    );
    expect(screen.getByTestId('fulfilment-status')).toHaveTextContent('Unfulfilled');
  });

  it('refunds part of the amount typed as a decimal, with a restock', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    await openOrder('1001');
    await user.click(await screen.findByRole('button', { name: 'Refund' }));
    const dialog = screen.getByRole('dialog', { name: 'Refund payment' });
    const amount = within(dialog).getByLabelText('Amount (USD)');
    expect(amount).toHaveValue('44.00');
    await user.clear(amount);
    await user.type(amount, '50');
    await user.click(within(dialog).getByRole('button', { name: 'Refund' }));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('At most $44.00 is left to refund.');
    expect(fake.commands('refund_order')).toEqual([]);
    await user.clear(amount);
    await user.type(amount, '10.50');
    await user.click(within(dialog).getByLabelText("Restock the order's items"));
    await user.click(within(dialog).getByRole('button', { name: 'Refund $10.50' }));
    expect(fake.commands('refund_order')).toEqual([{ number: '1001', amount: 1050, restock: true }]);
    expect(await screen.findByTestId('refunded')).toHaveTextContent('−$10.50');
    expect(screen.getByTestId('payment-status')).toHaveTextContent('Partially refunded');
    expect(within(screen.getByTestId('timeline')).getAllByRole('listitem')[0]).toHaveTextContent(
      'Refunded 10.50 USD (re_1)',
    );
  });

  it('asks before cancelling, saying a paid order is refunded and restocked', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    await openOrder('1001');
    await user.click(await screen.findByRole('button', { name: 'Cancel order' }));
    const dialog = screen.getByRole('dialog', { name: 'Cancel order #1001?' });
    expect(within(dialog).getByTestId('cancel-effect')).toHaveTextContent(
      "Refunds $44.00 to the customer's card. Puts 1 unit back in stock.",
    );
    await user.click(within(dialog).getByRole('button', { name: 'Back' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(fake.commands('cancel_order')).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Cancel order' }));
    await user.click(
      within(screen.getByRole('dialog', { name: 'Cancel order #1001?' })).getByRole('button', {
        name: 'Cancel order',
      }),
    );
    expect(fake.commands('cancel_order')).toEqual([{ number: '1001' }]);
    expect(await screen.findByTestId('order-status')).toHaveTextContent('Cancelled');
    expect(screen.queryByRole('button', { name: 'Cancel order' })).not.toBeInTheDocument();
  });

  it('refuses to cancel a fulfilled order with the core reason', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    await openOrder('1002');
    await user.click(await screen.findByRole('button', { name: 'Cancel order' }));
    const dialog = screen.getByRole('dialog', { name: 'Cancel order #1002?' });
    // The core's reason, before anything is tried; the action cannot be taken, Back can.
    expect(within(dialog).getByRole('alert')).toHaveTextContent('refund it in full first.');
    expect(within(dialog).queryByTestId('cancel-effect')).not.toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Cancel order' })).toBeDisabled();
    await user.click(within(dialog).getByRole('button', { name: 'Back' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(fake.commands('cancel_order')).toEqual([]);
  });

  it('promises no restock when a shipped order refunded in full is cancelled', async () => {
    const fake = installFakeOrders([
      order('1008', {
        fulfillment_status: 'fulfilled',
        tracking_number: 'NP1',
        payment_status: 'refunded',
        amount_refunded: 4400,
      }),
    ]);
    const user = userEvent.setup();
    await openOrder('1008');
    await user.click(await screen.findByRole('button', { name: 'Cancel order' }));
    const dialog = screen.getByRole('dialog', { name: 'Cancel order #1008?' });
    expect(within(dialog).getByTestId('cancel-effect')).toHaveTextContent(
      'Puts nothing back in stock: the goods were shipped.',
    );
    expect(within(dialog).getByTestId('cancel-effect')).not.toHaveTextContent('Refunds');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel order' }));
    expect(fake.commands('cancel_order')).toEqual([{ number: '1008' }]);
  });

  it('adds a note to the timeline', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    await openOrder('1001');
    await user.click(await screen.findByRole('button', { name: 'Add note' }));
    expect(screen.getByText('Write something first.')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Note'), 'Gift wrap, please');
    await user.click(screen.getByRole('button', { name: 'Add note' }));
    expect(fake.commands('add_order_note')).toEqual([{ number: '1001', text: 'Gift wrap, please' }]);
    expect(await screen.findByText(/Gift wrap, please/)).toBeInTheDocument();
    expect(screen.getByLabelText('Note')).toHaveValue('');
  });

  it('prints a packing slip without prices', async () => {
    installFakeOrders();
    const user = userEvent.setup();
    let printed = 0;
    Object.defineProperty(window, 'print', { value: () => (printed += 1), configurable: true });
    const { container } = await openOrder('1001');
    await user.click(await screen.findByRole('button', { name: 'Packing slip' }));
    expect(printed).toBe(1);
    const sheet = container.querySelector('.print-sheet')!;
    expect(sheet).toHaveAttribute('data-kind', 'slip');
    expect(sheet).toHaveTextContent('Packing slip');
    expect(sheet).toHaveTextContent('Ship to');
    expect(sheet).not.toHaveTextContent('$39.00');
    await user.click(screen.getByRole('button', { name: 'Print receipt' }));
    expect(printed).toBe(2);
    expect(sheet).toHaveTextContent('$44.00');
  });

  it('shows a dispute that needs an answer near the top, with its deadline', async () => {
    installFakeOrders();
    await openOrder('1002');
    expect(screen.getByTestId('dispute-status')).toHaveTextContent('Disputed');
    expect(screen.getByTestId('dispute-status')).toHaveClass('pill-attention');
    const panel = screen.getByRole('region', { name: 'Dispute' });
    expect(within(panel).getByText('Disputed')).toHaveClass('pill-attention');
    expect(within(panel).getByTestId('dispute-amount')).toHaveTextContent('$44.00');
    expect(within(panel).getByTestId('dispute-reason')).toHaveTextContent('Product not received');
    expect(within(panel).getByTestId('dispute-state')).toHaveTextContent('Needs a response');
    expect(within(panel).getByTestId('dispute-deadline')).toHaveTextContent(
      `Respond in Stripe's dashboard by ${when('2026-12-04T23:59:59Z')}.`,
    );
    // Above the items: the first thing on the page under the header.
    const sections = [...document.querySelectorAll('.detail-grid section')];
    expect(sections[0]).toBe(panel);
    const first = within(screen.getByTestId('timeline')).getAllByRole('listitem')[0]!;
    expect(first.querySelector('p')?.dataset.kind).toBe('dispute_opened');
    expect(first).toHaveTextContent('Dispute opened: 44.00 USD, reason product not received');
  });

  it('shows a closed dispute calmly, with no deadline', async () => {
    installFakeOrders([
      order('1004', {
        dispute: {
          stripe_dispute_id: 'dp_1Qclosed',
          amount: 4400,
          reason: 'fraudulent',
          status: 'won',
          needs_response: false,
          closed: true,
          evidence_due_by: '2026-11-30T23:59:59Z',
          created_at: '2026-11-21T09:00:00.000Z',
        },
      }),
    ]);
    await openOrder('1004');
    const panel = screen.getByRole('region', { name: 'Dispute' });
    expect(within(panel).getByText('Disputed')).toHaveClass('pill-neutral');
    expect(within(panel).getByTestId('dispute-reason')).toHaveTextContent('Fraudulent');
    expect(within(panel).getByTestId('dispute-state')).toHaveTextContent('Won');
    expect(within(panel).queryByTestId('dispute-deadline')).not.toBeInTheDocument();
  });

  it('shows no dispute panel for an order nobody disputed', async () => {
    installFakeOrders();
    await openOrder('1001');
    expect(screen.queryByTestId('dispute')).not.toBeInTheDocument();
    expect(screen.queryByTestId('dispute-status')).not.toBeInTheDocument();
    expect(screen.queryByTestId('refund-pending')).not.toBeInTheDocument();
  });

  it('says how much of the refund is still pending at Stripe', async () => {
    installFakeOrders([
      order('1005', {
        payment_status: 'partially_refunded',
        amount_refunded: 1050,
        amount_refund_pending: 1050,
        events: [
          ...order('1005').events,
          { kind: 'refunded', message: 'Refund pending: 10.50 USD (re_3Qpending)', created_at: '2026-11-21T10:00:00.000Z' },
        ],
      }),
    ]);
    await openOrder('1005');
    const payment = screen.getByRole('region', { name: 'Payment' });
    expect(within(payment).getByText('Refund pending')).toHaveClass('pill-attention');
    expect(within(payment).getByTestId('refund-pending')).toHaveTextContent('Refund pending: $10.50');
    expect(within(screen.getByTestId('timeline')).getAllByRole('listitem')[0]).toHaveTextContent(
      /^Refund pending: 10\.50 USD \(re_3Qpending\)/,
    );
  });

  it('puts an oversold order in front of the owner, above everything else, with its two ways out', async () => {
    installFakeOrders();
    await openOrder('1004');
    const panel = screen.getByTestId('oversold-panel');
    expect(panel).toHaveAttribute('role', 'alert');
    expect(screen.getByRole('alert')).toBe(panel);
    expect(within(panel).getByTestId('oversold-units')).toHaveTextContent(
      'The customer paid for 2 units that are no longer in stock',
    );
    expect(screen.getByTestId('oversold-status')).toHaveClass('pill-critical');
    // Before the order's own sections: the first thing under the header.
    expect(panel.compareDocumentPosition(document.querySelector('.detail-grid')!)).toBe(
      Node.DOCUMENT_POSITION_FOLLOWING,
    );
    expect(within(panel).getByRole('button', { name: 'Restock and keep the order' })).toBeEnabled();
    expect(within(panel).getByRole('button', { name: 'Refund and cancel' })).toBeEnabled();
    const oversold = within(screen.getByTestId('timeline'))
      .getAllByRole('listitem')
      .find((li) => li.querySelector('p')?.dataset.kind === 'oversold')!;
    expect(oversold).toHaveTextContent('Oversold · PL-3X5-POL: 2 paid for but only 1 in stock');
  });

  it('restocks an oversold order through the core and shows the order it returns', async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    await openOrder('1004');
    await user.click(
      within(screen.getByTestId('oversold-panel')).getByRole('button', { name: 'Restock and keep the order' }),
    );
    expect(fake.commands('restock_oversold')).toEqual([{ number: '1004' }]);
    await waitFor(() => expect(screen.queryByTestId('oversold-panel')).not.toBeInTheDocument());
    expect(screen.queryByTestId('oversold-status')).not.toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Restocked: the order keeps its items');
    const first = within(screen.getByTestId('timeline')).getAllByRole('listitem')[0]!;
    expect(first.querySelector('p')?.dataset.kind).toBe('oversold_restocked');
    expect(first).toHaveTextContent('Restocked for this order · PL-3X5-POL: 2 received and sold to this order');
    // Still open, still paid, ready to ship.
    expect(screen.getByRole('button', { name: 'Fulfil items' })).toBeInTheDocument();
  });

  it('keeps the oversold panel and shows why when the core refuses to restock', async () => {
    const fake = installFakeOrders();
    fake.restockError = { code: 'forbidden', message: 'order 1004 is not oversold: nothing to restock' };
    const user = userEvent.setup();
    await openOrder('1004');
    const panel = screen.getByTestId('oversold-panel');
    await user.click(within(panel).getByRole('button', { name: 'Restock and keep the order' }));
    expect(await within(panel).findByTestId('oversold-error')).toHaveTextContent(
      'Order 1004 is not oversold: nothing to restock.',
    );
    expect(screen.getByTestId('oversold-panel')).toBe(panel);
    expect(within(panel).getByRole('button', { name: 'Restock and keep the order' })).toBeEnabled();
  });

  it("offers the order's cancel dialog to refund and cancel an oversold order", async () => {
    const fake = installFakeOrders();
    const user = userEvent.setup();
    await openOrder('1004');
    await user.click(within(screen.getByTestId('oversold-panel')).getByRole('button', { name: 'Refund and cancel' }));
    const dialog = screen.getByRole('dialog', { name: 'Cancel order #1004?' });
    // No stock it never took goes back.
    expect(within(dialog).getByTestId('cancel-effect')).toHaveTextContent(
      "Refunds $83.00 to the customer's card. Puts nothing back in stock. The 2 units it lacks were never taken from stock.",
    );
    expect(fake.commands('cancel_order')).toEqual([]);
    await user.click(within(dialog).getByRole('button', { name: 'Cancel order' }));
    expect(fake.commands('cancel_order')).toEqual([{ number: '1004' }]);
    expect(fake.commands('restock_oversold')).toEqual([]);
    expect(await screen.findByTestId('order-status')).toHaveTextContent('Cancelled');
    expect(screen.queryByTestId('oversold-panel')).not.toBeInTheDocument();
  });

  it('shows no oversold panel for an order that has its stock', async () => {
    installFakeOrders();
    await openOrder('1001');
    expect(screen.queryByTestId('oversold-panel')).not.toBeInTheDocument();
    expect(screen.queryByTestId('oversold-status')).not.toBeInTheDocument();
  });

  it('marks a test order and deletes it from its page, back to the list', async () => {
    const fake = installFakeOrders([order('1007', { test: true }), order('1001')]);
    const user = userEvent.setup();
    window.location.hash = '#/admin/orders/1007';
    render(App);
    expect(await screen.findByTestId('test-status')).toHaveTextContent('Test order');
    await user.click(screen.getByRole('button', { name: 'Delete test order' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading')).toHaveTextContent('Delete test order #1007?');
    await waitFor(() => expect(within(dialog).getByTestId('delete-test-effect')).toHaveTextContent('$44.00'));
    await user.click(within(dialog).getByRole('button', { name: 'Delete test order' }));
    await waitFor(() => expect(window.location.hash).toBe('#/admin/orders'));
    expect(fake.commands('delete_test_orders')).toEqual([{ numbers: ['1007'] }]);
    await screen.findByText('1 order');
  });

  it('offers no delete on a real order', async () => {
    installFakeOrders();
    window.location.hash = '#/admin/orders/1001';
    render(App);
    await screen.findByTestId('payment-status');
    expect(screen.queryByTestId('test-status')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete test order' })).not.toBeInTheDocument();
  });

  it('says when the order does not exist', async () => {
    installFakeOrders();
    window.location.hash = '#/admin/orders/9999';
    render(App);
    expect(await screen.findByRole('heading', { name: 'Unknown order' })).toBeInTheDocument();
  });
});
