import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';

import App from '../App.svelte';
import { demoProducts, installFakeShop } from '../test/fakeShop';
import { gridLayout } from './gridWindow';

/** 200 products, named so that the grid's order is theirs. */
function manyProducts() {
  const [template] = demoProducts();
  return Array.from({ length: 200 }, (_, i) => ({
    ...template!,
    id: i + 1,
    handle: `flag-${i + 1}`,
    title: `Flag ${String(i + 1).padStart(3, '0')}`,
  }));
}

describe('catalogue grid', () => {
  afterEach(() => vi.restoreAllMocks());

  it('renders only the rows near the viewport, placed within the whole list', async () => {
    installFakeShop(manyProducts());
    render(App);

    const grid = await screen.findByRole('list', { name: 'Products' });
    expect(screen.getByText('200 products')).toBeInTheDocument();
    // jsdom lays nothing out: the grid is 0 px wide (one column) and starts at the viewport's top.
    const { stride } = gridLayout(0);
    const rowsShown = Math.ceil((innerHeight * 1.5) / stride);
    let items = within(grid).getAllByRole('listitem');
    expect(items).toHaveLength(rowsShown);
    expect(items[0]).toHaveAttribute('aria-posinset', '1');
    expect(items[0]).toHaveAttribute('aria-setsize', '200');
    expect(grid.style.paddingBottom).toBe(`${(200 - rowsShown) * stride}px`);

    // Scrolled so that the grid's top is 5,000 px above the viewport.
    vi.spyOn(grid, 'getBoundingClientRect').mockReturnValue(new DOMRect(0, -5000, 0, 0));
    await fireEvent.scroll(window);
    const first = Math.floor((5000 - innerHeight / 2 + 24) / stride);
    await waitFor(() =>
      expect(within(grid).getAllByRole('listitem')[0]).toHaveAttribute(
        'aria-posinset',
        String(first + 1),
      ),
    );
    items = within(grid).getAllByRole('listitem');
    expect(items[0]).toHaveTextContent(`Flag ${String(first + 1).padStart(3, '0')}`);
    expect(grid.style.paddingTop).toBe(`${first * stride}px`);
  });

  it('comes back from a product page to where the shopper was', async () => {
    installFakeShop(manyProducts());
    const scrollTo = vi.spyOn(window, 'scrollTo').mockImplementation(() => {});
    render(App);
    await screen.findByRole('list', { name: 'Products' });

    // 5,000 px down the grid; once the grid is taken out, the short page that is left cannot
    // scroll that far and the window clamps, as browsers do, before the catalogue's teardown.
    vi.spyOn(window, 'scrollY', 'get').mockImplementation(() =>
      document.querySelector("ul[aria-label='Products']") ? 5000 : 35,
    );
    await fireEvent.scroll(window);
    window.location.hash = '#/product/flag-1';
    await screen.findByRole('heading', { level: 1, name: 'Flag 001' });

    window.location.hash = '#/';
    await screen.findByRole('list', { name: 'Products' });
    await waitFor(() => expect(scrollTo).toHaveBeenLastCalledWith({ top: 5000 }));
  });
});
