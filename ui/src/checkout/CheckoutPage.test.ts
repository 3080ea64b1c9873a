import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';

import App from '../App.svelte';
import { router } from '../lib/router.svelte';
import { installFakePayments, installFakeStripeJs, type FakePayments } from '../test/fakePayments';

async function checkout(fake: FakePayments, stripeJs: { nextAction?: boolean } = {}) {
  fake.cart.set('UA-SNK-2X3-POL', 2);
  installFakeStripeJs(fake, stripeJs);
  const user = userEvent.setup();
  router.go('#/checkout');
  render(App);
  await screen.findByTestId('total');
  await user.type(screen.getByLabelText('Email'), 'olena@example.com');
  await user.type(screen.getByLabelText('Full name'), 'Olena Buyer');
  await user.type(screen.getByLabelText('Address'), '1 Main St');
  await user.type(screen.getByLabelText('City'), 'Springfield');
  await user.type(screen.getByLabelText('Postal code'), '12345');
  await user.selectOptions(screen.getByLabelText('Country'), 'UA');
  return user;
}

describe('checkout', () => {
  afterEach(() => {
    delete window.Stripe;
  });

  it('places the order, pays with the page-made payment method and shows the confirmation', async () => {
    const fake = installFakePayments();
    const user = await checkout(fake);
    expect(screen.getByTestId('total')).toHaveTextContent('$43.00');

    await user.click(screen.getByRole('button', { name: 'Pay $43.00' }));

    await waitFor(() => expect(window.location.hash).toBe('#/order/FS-1001'));
    const placed = fake.calls.find((c) => c.cmd === 'place_order')!;
    expect(placed.args).toEqual({
      customer: {
        email: 'olena@example.com',
        name: 'Olena Buyer',
        address: { line1: '1 Main St', line2: '', city: 'Springfield', postal_code: '12345', country: 'UA' },
      },
      discountCode: null,
    });
    expect(fake.calls.find((c) => c.cmd === 'pay_order')!.args).toEqual({
      number: 'FS-1001',
      paymentMethod: 'pm_1',
    });
    expect(await screen.findByTestId('payment-status')).toHaveTextContent('Paid');
  });

  it("lets Stripe.js's handleNextAction run 3-D Secure, then reads the payment back", async () => {
    const fake = installFakePayments();
    fake.outcome = { status: 'paid', message: 'Paid', threeDSecure: true };
    const user = await checkout(fake);

    await user.click(screen.getByRole('button', { name: /^Pay / }));

    await waitFor(() => expect(window.location.hash).toBe('#/order/FS-1001'));
    expect(fake.stripe.nextActions).toEqual(['pi_1_secret_2']);
    expect(fake.stripe.confirmed).toEqual([]);
    const cmds = fake.calls.map((c) => c.cmd);
    expect(cmds.indexOf('refresh_payment')).toBeGreaterThan(cmds.indexOf('pay_order'));
  });

  it("falls back to confirmCardPayment with the emulator's Stripe.js, which has no handleNextAction", async () => {
    const fake = installFakePayments();
    fake.outcome = { status: 'paid', message: 'Paid', threeDSecure: true };
    const user = await checkout(fake, { nextAction: false });

    await user.click(screen.getByRole('button', { name: /^Pay / }));

    await waitFor(() => expect(window.location.hash).toBe('#/order/FS-1001'));
    expect(fake.stripe.confirmed).toEqual(['pi_1_secret_2']);
    expect(fake.stripe.nextActions).toEqual([]);
    expect(fake.calls.map((c) => c.cmd)).toContain('refresh_payment');
  });

  it('shows the decline and puts the lines back in the cart', async () => {
    const fake = installFakePayments();
    fake.outcome = { status: 'failed', message: 'Your card was declined. (card_declined)' };
    const user = await checkout(fake);

    await user.click(screen.getByRole('button', { name: /^Pay / }));

    expect(await screen.findByTestId('payment-error')).toHaveTextContent(
      'Your card was declined. (card_declined)',
    );
    expect(window.location.hash).toBe('#/checkout');
    expect(fake.cart.get('UA-SNK-2X3-POL')).toBe(2);
  });

  it('never refills the cart while the payment may still go through', async () => {
    const fake = installFakePayments();
    fake.payError = {
      code: 'payment',
      message: 'no clear answer from the Stripe server (timed out): the payment must be read back before deciding',
    };
    const user = await checkout(fake);

    await user.click(screen.getByRole('button', { name: /^Pay / }));

    expect(await screen.findByTestId('payment-error')).toHaveTextContent(/no clear answer/i);
    expect(fake.calls.map((c) => c.cmd)).toContain('restore_cart');
    expect(fake.cart.size).toBe(0);
    expect(screen.getByRole('link', { name: 'See order FS-1001' })).toHaveAttribute('href', '#/order/FS-1001');
  });

  it('says so when payments are not set up, and offers no pay button to press', async () => {
    const fake = installFakePayments();
    fake.status = { ...fake.status, ready: false, secret_key_masked: null, publishable_key: null };
    await checkout(fake);

    expect(screen.getByRole('alert')).toHaveTextContent('Payments are not set up yet');
    expect(screen.getByRole('button', { name: /^Pay/ })).toBeDisabled();
  });
});
