import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import App from '../../App.svelte';
import { installFakeBackOffice } from '../../test/fakeBackOffice';
import { formatDelta, stockDelta } from './stock';

describe('stock adjustments', () => {
  it('take their direction from the reason', () => {
    expect(stockDelta('12', 'received')).toEqual({ delta: 12 });
    expect(stockDelta(' 2 ', 'damaged')).toEqual({ delta: -2 });
    expect(stockDelta('-3', 'correction')).toEqual({ delta: -3 });
    expect(stockDelta('-3', 'received')).toEqual({ error: 'Type a whole number of units, e.g. 12.' });
    expect(stockDelta('0', 'correction')).toEqual({ error: 'Type the change, e.g. -2 or 3.' });
    expect(stockDelta('1.5', 'lost')).toHaveProperty('error');
    expect([formatDelta(5), formatDelta(-2)]).toEqual(['+5', '−2']);
  });
});

describe('inventory', () => {
  it('lists every variant and a low-stock view', async () => {
    installFakeBackOffice();
    const user = userEvent.setup();
    window.location.hash = '#/admin/inventory';
    render(App);
    const row = (await screen.findByText('UA-SNK-3X5-NYL')).closest('tr')!;
    expect(within(row).getAllByRole('cell').map((c) => c.textContent?.trim())).toEqual([
      'Ukraine Snake Island Flag 3x5 ft / Nylon',
      'UA-SNK-3X5-NYL',
      '25',
      '0',
      '25',
      '5',
      'Adjust',
    ]);
    await user.click(screen.getByRole('button', { name: /Low stock/ }));
    expect(screen.queryByText('UA-SNK-3X5-NYL')).not.toBeInTheDocument();
    expect(screen.getByText('PL-3X5')).toBeInTheDocument();
    expect(screen.getByText('UA-SNK-2X3-NYL')).toBeInTheDocument();
  });

  it('adjusts with a reason and a note, and the ledger line shows in the history', async () => {
    const fake = installFakeBackOffice();
    const user = userEvent.setup();
    window.location.hash = '#/admin/inventory/UA-SNK-3X5-NYL';
    render(App);
    await user.click(await screen.findByRole('button', { name: 'Adjust stock' }));
    const dialog = screen.getByRole('dialog', { name: 'Adjust stock' });
    await user.selectOptions(within(dialog).getByLabelText('Reason'), 'damaged');
    await user.type(within(dialog).getByLabelText('Units to remove'), '2');
    await user.type(within(dialog).getByLabelText('Note'), 'water damage');
    await user.click(within(dialog).getByRole('button', { name: 'Adjust' }));
    expect(fake.commands('adjust_stock')).toEqual([
      { sku: 'UA-SNK-3X5-NYL', delta: -2, reason: 'damaged', note: 'water damage' },
    ]);
    const line = await screen.findByTestId('ledger-line');
    expect(line).toHaveTextContent('Damaged');
    expect(line).toHaveTextContent('water damage');
    expect(line).toHaveTextContent('−2');
    expect(line).toHaveTextContent('23');
  });

  it('says what the core refused, in the dialog', async () => {
    installFakeBackOffice();
    const user = userEvent.setup();
    window.location.hash = '#/admin/inventory/PL-3X5';
    render(App);
    await user.click(await screen.findByRole('button', { name: 'Adjust stock' }));
    const dialog = screen.getByRole('dialog', { name: 'Adjust stock' });
    await user.selectOptions(within(dialog).getByLabelText('Reason'), 'lost');
    await user.type(within(dialog).getByLabelText('Units to remove'), '9');
    await user.click(within(dialog).getByRole('button', { name: 'Adjust' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Cannot remove 9 of "PL-3X5": only 3 available.',
    );
  });

  it('verifies stock against the ledger and names the variants that disagree', async () => {
    const fake = installFakeBackOffice();
    const user = userEvent.setup();
    window.location.hash = '#/admin/inventory';
    render(App);
    await user.click(await screen.findByRole('button', { name: 'Verify stock' }));
    expect(await screen.findByRole('status', { name: 'Stock verification' })).toHaveTextContent(
      'All 6 variants have exactly the stock their ledger adds up to.',
    );
    fake.brokenSku = 'PL-3X5';
    await user.click(screen.getByRole('button', { name: 'Verify stock' }));
    const result = await screen.findByText(/One variant disagrees/);
    const table = result.closest('section')!;
    expect(within(table).getByRole('link', { name: 'PL-3X5' })).toHaveAttribute('href', '#/admin/inventory/PL-3X5');
    expect(within(table).getAllByRole('cell').map((c) => c.textContent)).toEqual(['Poland Flag', 'PL-3X5', '3', '1']);
  });
});
