import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import App from '../../App.svelte';
import { installFakeOrders } from '../../test/fakeOrders';

describe('customers', () => {
  it('lists everyone who ordered with their lifetime spend, searchable', async () => {
    installFakeOrders();
    const user = userEvent.setup();
    window.location.hash = '#/admin/customers';
    render(App);
    const olena = (await screen.findByRole('link', { name: 'Olena Buyer' })).closest('tr')!;
    expect(within(olena).getAllByRole('cell').map((c) => c.textContent?.trim())).toEqual([
      'Olena Buyer',
      'olena@example.com',
      '2',
      '$88.00',
      'Nov 24, 2026',
    ]);
    await user.type(screen.getByLabelText('Search'), 'taras');
    expect(screen.queryByRole('link', { name: 'Olena Buyer' })).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Taras Shevchenko' })).toHaveAttribute(
      'href',
      '#/admin/customers/taras%40example.com',
    );
  });

  it('shows a customer with their order history', async () => {
    installFakeOrders();
    window.location.hash = '#/admin/customers/olena%40example.com';
    render(App);
    expect(await screen.findByRole('heading', { name: 'Olena Buyer' })).toBeInTheDocument();
    expect(screen.getByTestId('lifetime-spend')).toHaveTextContent('$88.00');
    expect(screen.getByRole('link', { name: '#1002' })).toHaveAttribute('href', '#/admin/orders/1002');
    expect(screen.getByRole('link', { name: '#1001' })).toBeInTheDocument();
  });

  it('says when nobody ordered with that email', async () => {
    installFakeOrders();
    window.location.hash = '#/admin/customers/nobody%40example.com';
    render(App);
    expect(await screen.findByRole('heading', { name: 'Unknown customer' })).toBeInTheDocument();
  });
});
