import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import App from '../../App.svelte';
import { installFakeBackOffice } from '../../test/fakeBackOffice';

async function openProducts() {
  window.location.hash = '#/admin/products';
  render(App);
  return screen.findByRole('link', { name: 'Ukraine Snake Island Flag' });
}

describe('product list', () => {
  it('lists products with their thumbnail, status and stock, and marks the section as current', async () => {
    installFakeBackOffice();
    await openProducts();
    const row = screen.getByRole('link', { name: 'Ukraine Snake Island Flag' }).closest('tr')!;
    expect(within(row).getByText('active')).toBeInTheDocument();
    expect(within(row).getByText('131 available for 4 variants')).toBeInTheDocument();
    expect(row.querySelector('img')?.getAttribute('src')).toMatch(/^media:\/\/localhost\/thumb\/160\//);
    const nav = screen.getByRole('navigation', { name: 'Back office' });
    expect(within(nav).getByRole('link', { name: 'Products' })).toHaveAttribute('aria-current', 'page');
    expect(screen.getByRole('link', { name: /View store/ })).toHaveAttribute('href', '#/');
  });

  it('filters by status through the core', async () => {
    const fake = installFakeBackOffice();
    fake.products[1]!.status = 'draft';
    const user = userEvent.setup();
    await openProducts();
    await user.click(screen.getByRole('button', { name: 'Draft' }));
    await waitFor(() =>
      expect(screen.queryByRole('link', { name: 'Ukraine Snake Island Flag' })).not.toBeInTheDocument(),
    );
    expect(screen.getByRole('link', { name: 'Poland Flag' })).toBeInTheDocument();
    expect(fake.commands('list_products').at(-1)).toMatchObject({ query: { status: 'draft' } });
  });

  it('archives the ticked products in one call', async () => {
    const fake = installFakeBackOffice();
    const user = userEvent.setup();
    await openProducts();
    await user.click(screen.getByRole('checkbox', { name: 'Select Poland Flag' }));
    await user.click(screen.getByRole('checkbox', { name: 'Select Lithuania Flag' }));
    const bulk = screen.getByRole('region', { name: 'Bulk actions' });
    expect(bulk).toHaveTextContent('2 selected');
    await user.click(within(bulk).getByRole('button', { name: 'Archive' }));
    expect(await screen.findByRole('status')).toHaveTextContent('2 products set to archived');
    expect(fake.commands('set_products_status')).toEqual([
      { handles: ['poland-flag', 'lithuania-flag'], status: 'archived' },
    ]);
    const row = screen.getByRole('link', { name: 'Poland Flag' }).closest('tr')!;
    expect(within(row).getByText('archived')).toBeInTheDocument();
  });

  it('opens Import from the menu bar through the address, and leaves it on close', async () => {
    installFakeBackOffice();
    const user = userEvent.setup();
    window.location.hash = '#/admin/products?open=import';
    render(App);
    const dialog = await screen.findByTestId('import-dialog');
    expect(dialog).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByTestId('import-dialog')).not.toBeInTheDocument());
    expect(window.location.hash).toBe('#/admin/products');
  });
});
