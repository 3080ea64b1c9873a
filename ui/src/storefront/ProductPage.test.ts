import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import App from '../App.svelte';
import { installFakeShop } from '../test/fakeShop';

async function openSnakeIsland() {
  window.location.hash = '#/product/ukraine-snake-island-flag';
  render(App);
  return screen.findByRole('heading', { level: 1, name: 'Ukraine Snake Island Flag' });
}

describe('product page', () => {
  it('disables sold-out combinations and follows the choice with price and stock', async () => {
    installFakeShop();
    const user = userEvent.setup();
    await openSnakeIsland();

    // Starts on the first variant in stock: 2x3 ft Polyester.
    expect(screen.getByTestId('price')).toHaveTextContent('$19.00');
    expect(screen.getByRole('radio', { name: /Nylon/ })).toBeDisabled();

    await user.click(screen.getByRole('radio', { name: '3x5 ft' }));
    await user.click(screen.getByRole('radio', { name: 'Nylon' }));
    expect(screen.getByRole('radio', { name: 'Nylon' })).toBeChecked();
    expect(screen.getByTestId('price')).toHaveTextContent('$39.00');
    expect(screen.getByTestId('stock')).toHaveTextContent('In stock');
    expect(screen.getByText('UA-SNK-3X5-NYL')).toBeInTheDocument();
  });

  it('adds the chosen quantity to the cart and shows it in the drawer', async () => {
    const shop = installFakeShop();
    const user = userEvent.setup();
    await openSnakeIsland();

    await user.click(screen.getByRole('radio', { name: '3x5 ft' }));
    await user.click(screen.getByRole('radio', { name: 'Nylon' }));
    await user.click(screen.getByRole('button', { name: 'Increase quantity' }));
    await user.click(screen.getByRole('button', { name: 'Add to cart' }));

    expect(shop.calls.find((c) => c.cmd === 'add_to_cart')?.args).toEqual({
      sku: 'UA-SNK-3X5-NYL',
      quantity: 2,
    });
    const drawer = await screen.findByRole('dialog', { name: /Your cart/ });
    expect(within(drawer).getByTestId('subtotal')).toHaveTextContent('$78.00');
    expect(screen.getByRole('button', { name: 'Cart, 2 items' })).toBeInTheDocument();
  });

  it('shows the core’s refusal when there is not enough stock', async () => {
    const shop = installFakeShop();
    shop.cart.set('UA-SNK-3X5-NYL', 25);
    const user = userEvent.setup();
    await openSnakeIsland();

    await user.click(screen.getByRole('radio', { name: '3x5 ft' }));
    await user.click(screen.getByRole('radio', { name: 'Nylon' }));
    await user.click(screen.getByRole('button', { name: 'Add to cart' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Only 25 of "UA-SNK-3X5-NYL" available (asked for 26).',
    );
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('explains a product that no longer exists', async () => {
    installFakeShop();
    window.location.hash = '#/product/gone';
    render(App);
    expect(await screen.findByRole('alert')).toHaveTextContent('no longer in the shop');
    await waitFor(() => expect(screen.getByRole('link', { name: 'Back to the catalogue' })).toBeVisible());
  });
});
