import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import App from '../../App.svelte';
import { installFakeBackOffice } from '../../test/fakeBackOffice';

async function openEditor(handle = 'ukraine-snake-island-flag') {
  window.location.hash = `#/admin/products/${handle}`;
  render(App);
  await screen.findByRole('heading', { level: 1, name: 'Ukraine Snake Island Flag' });
}

const input = (name: string) => screen.getByRole('textbox', { name }) as HTMLInputElement;

describe('product editor', () => {
  it('saves a changed price as minor units and shows it saved', async () => {
    const fake = installFakeBackOffice();
    const user = userEvent.setup();
    await openEditor();
    const price = input('Price, 3x5 ft / Nylon');
    expect(price.value).toBe('39.00');
    await user.clear(price);
    await user.type(price, '41.50');
    expect(screen.getByRole('region', { name: 'Unsaved changes' })).toBeInTheDocument();
    await user.click(within(screen.getByRole('region', { name: 'Unsaved changes' })).getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Product saved');
    const [saved] = fake.commands('save_product');
    expect(saved).toMatchObject({ handle: 'ukraine-snake-island-flag' });
    const edit = saved!.edit as { variants: { sku: string; price: number }[] };
    expect(edit.variants.find((v) => v.sku === 'UA-SNK-3X5-NYL')?.price).toBe(4150);
    expect(screen.queryByRole('region', { name: 'Unsaved changes' })).not.toBeInTheDocument();
  });

  it('shows malformed prices and an empty title next to their fields, without saving', async () => {
    const fake = installFakeBackOffice();
    const user = userEvent.setup();
    await openEditor();
    await user.clear(input('Title'));
    const price = input('Price, 2x3 ft / Polyester');
    await user.clear(price);
    await user.type(price, '-4');
    await user.click(screen.getAllByRole('button', { name: 'Save' })[0]!);
    expect(input('Title')).toHaveAttribute('aria-invalid', 'true');
    expect(input('Title')).toHaveAccessibleDescription('Title can’t be blank.');
    expect(price).toHaveAccessibleDescription('Price cannot be negative.');
    expect(screen.getByRole('alert')).toHaveTextContent('2 fields need your attention');
    expect(fake.commands('save_product')).toEqual([]);
  });

  it('puts the core’s duplicate-SKU error next to that variant’s SKU', async () => {
    const fake = installFakeBackOffice();
    fake.failNextSave = {
      code: 'invalid',
      message: 'SKU "PL-3X5" is already used by another variant',
      field: 'sku',
      variant: 1,
    };
    const user = userEvent.setup();
    await openEditor();
    const sku = input('SKU, 3x5 ft / Polyester');
    await user.clear(sku);
    await user.type(sku, 'PL-3X5');
    await user.click(screen.getAllByRole('button', { name: 'Save' })[0]!);
    await waitFor(() => expect(sku).toHaveAttribute('aria-invalid', 'true'));
    expect(sku).toHaveAccessibleDescription('SKU "PL-3X5" is already used by another variant.');
  });

  it('generates the size × material matrix from the options', async () => {
    const fake = installFakeBackOffice();
    const user = userEvent.setup();
    await openEditor();
    const values = screen.getAllByRole('textbox', { name: 'Values, separated by commas' });
    await user.type(values[0]!, ', 4x6 ft');
    await user.click(screen.getByRole('button', { name: 'Generate variants' }));
    expect(input('SKU, 4x6 ft / Nylon').value).toBe('UA-SNK-4X6-NYLO');
    expect(input('Price, 4x6 ft / Polyester').value).toBe('19.00');
    await user.click(screen.getAllByRole('button', { name: 'Save' })[0]!);
    await screen.findByRole('status');
    const edit = fake.commands('save_product')[0]!.edit as { variants: { id: number | null }[] };
    expect(edit.variants.map((v) => v.id === null)).toEqual([false, false, false, false, true, true]);
  });

  it('asks before a new matrix drops saved variants, and keeps them on no', async () => {
    const fake = installFakeBackOffice();
    const user = userEvent.setup();
    await openEditor();
    const sizes = screen.getAllByRole('textbox', { name: 'Values, separated by commas' })[0]!;
    expect(sizes).toHaveValue('2x3 ft, 3x5 ft');
    await user.clear(sizes);
    await user.type(sizes, '3x5 ft');
    await user.click(screen.getByRole('button', { name: 'Generate variants' }));

    let dialog = await screen.findByRole('alertdialog', { name: 'Remove 2 variants?' });
    expect(within(dialog).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      expect.stringContaining('2x3 ft / Polyester'),
      expect.stringContaining('2x3 ft / Nylon'),
    ]);
    await user.click(within(dialog).getByRole('button', { name: 'Keep variants' }));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(input('SKU, 2x3 ft / Polyester')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Generate variants' }));
    await screen.findByRole('alertdialog', { name: 'Remove 2 variants?' });
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(input('SKU, 2x3 ft / Polyester')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Generate variants' }));
    dialog = await screen.findByRole('alertdialog', { name: 'Remove 2 variants?' });
    await user.click(within(dialog).getByRole('button', { name: 'Remove variants' }));
    expect(screen.queryByRole('textbox', { name: 'SKU, 2x3 ft / Polyester' })).not.toBeInTheDocument();
    await user.click(screen.getAllByRole('button', { name: 'Save' })[0]!);
    await screen.findByRole('status');
    const edit = fake.commands('save_product')[0]!.edit as { variants: { sku: string }[] };
    expect(edit.variants.map((v) => v.sku)).toEqual(['UA-SNK-3X5-POL', 'UA-SNK-3X5-NYL']);
  });

  it('asks before leaving with unsaved changes', async () => {
    installFakeBackOffice();
    const user = userEvent.setup();
    await openEditor();
    await user.type(input('Title'), ' (new)');
    await user.click(screen.getByRole('link', { name: 'Inventory' }));
    const dialog = await screen.findByRole('alertdialog', { name: 'Leave page with unsaved changes?' });
    await user.click(within(dialog).getByRole('button', { name: 'Stay' }));
    expect(input('Title').value).toBe('Ukraine Snake Island Flag (new)');
    expect(window.location.hash).toBe('#/admin/products/ukraine-snake-island-flag');
    await user.click(screen.getByRole('link', { name: 'Inventory' }));
    await screen.findByRole('alertdialog', { name: 'Leave page with unsaved changes?' });
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(window.location.hash).toBe('#/admin/products/ukraine-snake-island-flag');
    await user.click(screen.getByRole('link', { name: 'Inventory' }));
    await user.click(await screen.findByRole('button', { name: 'Leave page' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Inventory' })).toBeInTheDocument();
  });

  it('renders the description preview without letting HTML through', async () => {
    const fake = installFakeBackOffice();
    fake.products[0]!.description = 'Sewn **stripes** <img src=x onerror="alert(1)">';
    const user = userEvent.setup();
    await openEditor();
    await user.click(screen.getByRole('button', { name: 'Preview' }));
    const preview = screen.getByTestId('description-preview');
    expect(preview.querySelector('strong')).toHaveTextContent('stripes');
    expect(preview.querySelector('img')).toBeNull();
  });

  it('adds a new product: the handle follows the title, and saving opens its editor', async () => {
    const fake = installFakeBackOffice();
    const user = userEvent.setup();
    window.location.hash = '#/admin/products/new';
    render(App);
    await screen.findByRole('heading', { level: 1, name: 'Add product' });
    expect(screen.getByText('Save the product first, then add its images here.')).toBeInTheDocument();
    await user.type(input('Title'), 'Poland Flag Deluxe');
    expect(input('Handle').value).toBe('poland-flag-deluxe');
    await user.click(screen.getByRole('button', { name: 'Add option' }));
    await user.type(screen.getByRole('textbox', { name: 'Values, separated by commas' }), '3x5 ft, 5x8 ft');
    await user.click(screen.getByRole('button', { name: 'Generate variants' }));
    for (const size of ['3x5 ft', '5x8 ft']) await user.type(input(`Price, ${size}`), '25');
    await user.click(screen.getAllByRole('button', { name: 'Save' })[0]!);
    await waitFor(() => expect(window.location.hash).toBe('#/admin/products/poland-flag-deluxe'));
    const [saved] = fake.commands('save_product');
    expect(saved).toMatchObject({
      handle: null,
      edit: { handle: 'poland-flag-deluxe', title: 'Poland Flag Deluxe', status: 'draft', options: ['Size'] },
    });
    const edit = saved!.edit as { variants: { sku: string; price: number }[] };
    expect(edit.variants.map((v) => [v.sku, v.price])).toEqual([
      ['POL-DEL-3X5', 2500],
      ['POL-DEL-5X8', 2500],
    ]);
  });
});
