import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import App from './App.svelte';
import { installFakeShop } from './test/fakeShop';

describe('storefront', () => {
  it('shows the catalogue as cards with prices, badges and lazy thumbnails', async () => {
    installFakeShop();
    render(App);

    const grid = await screen.findByRole('list', { name: 'Products' });
    const cards = within(grid).getAllByRole('link');
    expect(cards.map((c) => within(c).getByRole('heading').textContent)).toEqual([
      'Ukraine Snake Island Flag',
      'Poland Flag',
      'Lithuania Flag',
    ]);
    expect(cards[0]).toHaveTextContent('$19.00 – $39.00');
    expect(cards[1]).toHaveTextContent('Low stock');
    expect(cards[2]).toHaveTextContent('Sold out');
    const img = cards[0]!.querySelector('img')!;
    expect(img.getAttribute('src')).toBe(`media://localhost/thumb/480/${'ab'.repeat(32)}`);
    expect(img.getAttribute('loading')).toBe('lazy');
  });

  it('searches as you type, once the typing pauses', async () => {
    const shop = installFakeShop();
    const user = userEvent.setup();
    render(App);
    await screen.findByRole('list', { name: 'Products' });

    const search = screen.getByRole('searchbox', { name: 'Search products' });
    await user.type(search, 'snake');
    await waitFor(() =>
      expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Results for “snake”'),
    );
    await waitFor(() =>
      expect(within(screen.getByRole('list', { name: 'Products' })).getAllByRole('link')).toHaveLength(1),
    );
    const searches = shop.calls.filter((c) => c.cmd === 'list_products').slice(1);
    // One query for the whole word, not one per keystroke.
    expect(searches).toHaveLength(1);
    expect(searches[0]!.args.query).toMatchObject({ search: 'snake', status: 'active' });
  });

  it('offers a way out when nothing matches, and a retry when loading fails', async () => {
    const shop = installFakeShop();
    shop.failNextList = true;
    const user = userEvent.setup();
    render(App);

    expect(await screen.findByRole('alert')).toHaveTextContent('disk I/O error');
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByRole('list', { name: 'Products' });

    await user.type(screen.getByRole('searchbox', { name: 'Search products' }), 'zzz');
    await user.click(await screen.findByRole('button', { name: 'Clear search and filters' }));
    await waitFor(() =>
      expect(within(screen.getByRole('list', { name: 'Products' })).getAllByRole('link')).toHaveLength(3),
    );
    expect(screen.getByRole('searchbox', { name: 'Search products' })).toHaveValue('');
  });

  it('filters by stock', async () => {
    installFakeShop();
    const user = userEvent.setup();
    render(App);
    await screen.findByRole('list', { name: 'Products' });
    await user.click(screen.getByRole('checkbox', { name: 'In stock only' }));
    await waitFor(() => expect(screen.queryByText('Lithuania Flag')).not.toBeInTheDocument());
  });

  it('focuses search on "/" and closes the cart drawer on Escape', async () => {
    installFakeShop();
    const user = userEvent.setup();
    render(App);
    const cartButton = await screen.findByRole('button', { name: 'Cart, 0 items' });

    await user.keyboard('/');
    expect(screen.getByRole('searchbox', { name: 'Search products' })).toHaveFocus();

    await user.click(cartButton);
    const drawer = screen.getByRole('dialog', { name: /Your cart/ });
    expect(within(drawer).getByText('Your cart is empty')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('does not let a file dropped outside a drop zone replace the shop', async () => {
    installFakeShop();
    render(App);
    const grid = await screen.findByRole('list', { name: 'Products' });
    const files = { types: ['Files'], files: [new File(['x'], 'flag.png')], dropEffect: 'copy' };
    // dispatchEvent answers false when the default (open the file in the window) was prevented.
    expect(await fireEvent.dragOver(grid, { dataTransfer: files })).toBe(false);
    expect(files.dropEffect).toBe('none');
    expect(await fireEvent.drop(grid, { dataTransfer: files })).toBe(false);
    // Text dragged within the page keeps its default.
    expect(await fireEvent.drop(grid, { dataTransfer: { types: ['text/plain'] } })).toBe(true);
  });
});
