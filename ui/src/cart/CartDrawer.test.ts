import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import App from '../App.svelte';
import { installFakeShop } from '../test/fakeShop';

async function openCart() {
  const user = userEvent.setup();
  render(App);
  await user.click(await screen.findByRole('button', { name: /^Cart, 3 items$/ }));
  return { user, drawer: screen.getByRole('dialog', { name: /Your cart/ }) };
}

describe('cart drawer', () => {
  it('lists the lines with their totals and the subtotal', async () => {
    const shop = installFakeShop();
    shop.cart.set('UA-SNK-3X5-NYL', 2).set('PL-3X5', 1);
    const { drawer } = await openCart();

    const lines = within(drawer).getAllByRole('listitem');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toHaveTextContent('Ukraine Snake Island Flag');
    expect(lines[0]).toHaveTextContent('3x5 ft · Nylon');
    expect(lines[0]).toHaveTextContent('$78.00');
    expect(within(drawer).getByTestId('subtotal')).toHaveTextContent('$103.00');
  });

  it('changes quantities and removes lines through the core', async () => {
    const shop = installFakeShop();
    shop.cart.set('UA-SNK-3X5-NYL', 2).set('PL-3X5', 1);
    const { user, drawer } = await openCart();

    await user.click(
      within(drawer).getByRole('button', {
        name: 'Increase quantity of ukraine snake island flag 3x5 ft nylon',
      }),
    );
    await waitFor(() => expect(within(drawer).getByTestId('subtotal')).toHaveTextContent('$142.00'));
    expect(shop.calls.at(-1)).toEqual({
      cmd: 'set_cart_quantity',
      args: { sku: 'UA-SNK-3X5-NYL', quantity: 3 },
    });

    await user.click(within(drawer).getByRole('button', { name: 'Remove Poland Flag 3x5 ft' }));
    await waitFor(() => expect(within(drawer).getAllByRole('listitem')).toHaveLength(1));
    expect(screen.getByRole('button', { name: 'Cart, 3 items' })).toBeInTheDocument();
  });

  it('says so when the core refuses a quantity', async () => {
    const shop = installFakeShop();
    shop.cart.set('PL-3X5', 3);
    const { user, drawer } = await openCart();
    const quantity = within(drawer).getByRole('spinbutton', { name: /Quantity of Poland Flag/ });
    await user.clear(quantity);
    await user.type(quantity, '9');
    quantity.blur();
    // The stepper caps at what is available, so the core is never asked for more.
    await waitFor(() => expect(quantity).toHaveValue(3));
    expect(shop.calls.some((c) => c.cmd === 'set_cart_quantity')).toBe(false);
  });
});
