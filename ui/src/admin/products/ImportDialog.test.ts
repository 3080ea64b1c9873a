import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import App from '../../App.svelte';
import { installFakeBackOffice } from '../../test/fakeBackOffice';

const CSV = 'Handle,Title,Variant Price\ntryzub-pin,Tryzub Pin,8.00\nbroken-mug,Broken Mug,-4.00\n';

/** A CSV file as the page's file field or a drop gives it; jsdom's File has no arrayBuffer(). */
function csvFile(name = 'messy.csv'): File {
  const bytes = new TextEncoder().encode(CSV);
  return Object.assign(new File([bytes], name, { type: 'text/csv' }), {
    arrayBuffer: () => Promise.resolve(bytes.slice().buffer),
  });
}

async function openImport() {
  window.location.hash = '#/admin/products';
  render(App);
  await screen.findByRole('link', { name: 'Poland Flag' });
  await userEvent.click(screen.getByRole('button', { name: 'Import' }));
  return screen.getByTestId('import-dialog');
}

async function previewUpload() {
  const user = userEvent.setup();
  const dialog = await openImport();
  await user.upload(within(dialog).getByTestId('import-file-input'), csvFile());
  await within(dialog).findByTestId('import-preview');
  return { user, dialog };
}

describe('product import', () => {
  it('previews a file picked in the page: counts, the refused product and why, the problems', async () => {
    const fake = installFakeBackOffice();
    const { dialog } = await previewUpload();

    expect(fake.csvImports).toHaveLength(1);
    expect(fake.csvImports[0]).toMatchObject({
      command: 'import_products_upload',
      name: 'messy.csv',
      dryRun: true,
      setStock: false,
    });
    expect(new TextDecoder().decode(fake.csvImports[0]!.bytes!)).toBe(CSV);

    const preview = within(dialog).getByTestId('import-preview');
    const tile = (label: string) => within(preview).getByText(label).closest('div')!;
    expect(tile('to create')).toHaveTextContent('1');
    expect(tile('to update')).toHaveTextContent('1');
    expect(tile('unchanged')).toHaveTextContent('1');
    expect(tile('refused')).toHaveTextContent('1');
    expect(preview).toHaveTextContent('2 new variants · 1 variant updated · 2 stock changes · 3 images to fetch');

    // The unchanged Lithuania flag is counted, not listed; the others are, in file order.
    const rows = dialog.querySelectorAll('tr[data-action]');
    expect([...rows].map((r) => r.getAttribute('data-handle'))).toEqual(['tryzub-pin', 'poland-flag', 'broken-mug']);
    const update = dialog.querySelector('tr[data-action="update"]')!;
    expect(update).toHaveTextContent('price of PL-3X5: 25.00 → 27.50');
    const refused = dialog.querySelector('tr[data-action="refused"]')!;
    expect(within(refused as HTMLElement).getByText('Refused')).toBeInTheDocument();
    expect(refused).toHaveTextContent('Broken Mug');
    expect(refused).toHaveTextContent('row 6, Variant Price: -4.00 is negative');

    const problems = within(dialog).getByRole('region', { name: /Problems/ });
    expect(problems).toHaveTextContent('1 error, 1 warning');
    const error = problems.querySelector('[data-severity="error"]')!;
    expect(error).toHaveTextContent('Row 6 · Variant Price — -4.00 is negative');
    expect(problems.querySelector('[data-severity="warning"]')).toHaveTextContent('Row 3 · Variant Barcode —');
    expect(dialog).toHaveTextContent('Not imported columns: Loyalty points (product.metafields.custom.points)');

    expect(dialog).toHaveTextContent('1 product will be skipped');
    expect(within(dialog).getByTestId('import-confirm')).toHaveTextContent('Import 2 products');
    expect(within(dialog).getByTestId('import-confirm')).toBeEnabled();
    // A preview writes nothing.
    expect(fake.products.map((p) => p.handle)).not.toContain('tryzub-pin');
  });

  it('imports the same bytes with progress, summarises, retries the images, and refreshes the list', async () => {
    const fake = installFakeBackOffice();
    const { user, dialog } = await previewUpload();

    let release = () => {};
    fake.holdImports = new Promise((resolve) => (release = resolve));
    await user.click(within(dialog).getByTestId('import-confirm'));
    const bar = await within(dialog).findByTestId('import-progress');
    await waitFor(() => expect(dialog).toHaveTextContent('Importing products… 1 of 3'));
    expect(within(dialog).getByTestId('import-progress')).toHaveAttribute('max', '3');
    expect(within(dialog).getByTestId('import-progress')).toHaveAttribute('value', '1');
    expect(bar).toHaveAccessibleName('Importing products… 1 of 3');
    // An import cannot be stopped halfway: no Cancel, and Escape does nothing.
    expect(within(dialog).queryByRole('button', { name: 'Cancel' })).not.toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.getByTestId('import-dialog')).toBeInTheDocument();
    release();

    const summary = await within(dialog).findByTestId('import-summary');
    expect(summary).toHaveTextContent(
      'Imported: 1 created, 1 updated, 1 unchanged, 1 skipped; 2 images added, 1 not fetched',
    );
    expect(fake.csvImports).toHaveLength(2);
    expect(fake.csvImports[1]).toMatchObject({ command: 'import_products_upload', dryRun: false, setStock: false });
    expect(fake.csvImports[1]!.bytes).toEqual(fake.csvImports[0]!.bytes);

    const failure = within(dialog).getByTestId('image-failure');
    expect(failure).toHaveTextContent('tryzub-pin');
    expect(failure).toHaveTextContent('https://cdn.example.com/pins/tryzub-silver.jpg');
    expect(failure).toHaveTextContent('the server answered 404 Not Found');
    await user.click(within(dialog).getByRole('button', { name: 'Retry images' }));
    expect(await within(dialog).findByRole('status')).toHaveTextContent('Retried: 1 image added; every image is in.');
    expect(fake.commands('retry_pending_images')).toHaveLength(1);
    expect(within(dialog).queryByTestId('image-failure')).not.toBeInTheDocument();

    const lists = fake.commands('list_products').length;
    await user.click(within(dialog).getByRole('button', { name: 'Close' }));
    expect(screen.queryByTestId('import-dialog')).not.toBeInTheDocument();
    expect(await screen.findByRole('link', { name: 'Tryzub Pin' })).toBeInTheDocument();
    expect(fake.commands('list_products').length).toBeGreaterThan(lists);
  });

  it('previews again when the stock option changes, and imports with it', async () => {
    const fake = installFakeBackOffice();
    const { user, dialog } = await previewUpload();
    await user.click(within(dialog).getByRole('checkbox', { name: "Update stock of existing products to the file's quantities" }));
    await waitFor(() => expect(fake.csvImports).toHaveLength(2));
    expect(fake.csvImports[1]).toMatchObject({ dryRun: true, setStock: true });
    await waitFor(() => expect(within(dialog).getByTestId('import-preview')).toHaveTextContent('3 stock changes'));
    await user.click(within(dialog).getByTestId('import-confirm'));
    await within(dialog).findByTestId('import-summary');
    expect(fake.csvImports[2]).toMatchObject({ dryRun: false, setStock: true });
  });

  it('reads a file chosen in the native dialog from its path; a cancelled dialog reads nothing', async () => {
    const fake = installFakeBackOffice();
    const user = userEvent.setup();
    const dialog = await openImport();

    await user.click(within(dialog).getByRole('button', { name: 'Choose CSV file…' }));
    await waitFor(() => expect(fake.commands('plugin:dialog|open')).toHaveLength(1));
    expect(fake.commands('plugin:dialog|open')[0]).toMatchObject({
      options: { filters: [{ name: 'CSV', extensions: ['csv'] }], multiple: false },
    });
    expect(fake.csvImports).toHaveLength(0);

    fake.dialogPath = '/home/owner/Downloads/messy.csv';
    await user.click(within(dialog).getByRole('button', { name: 'Choose CSV file…' }));
    await within(dialog).findByTestId('import-preview');
    expect(within(dialog).getByText('messy.csv')).toBeInTheDocument();
    await user.click(within(dialog).getByTestId('import-confirm'));
    await within(dialog).findByTestId('import-summary');
    expect(fake.csvImports.map(({ command, path, dryRun }) => ({ command, path, dryRun }))).toEqual([
      { command: 'import_products_file', path: '/home/owner/Downloads/messy.csv', dryRun: true },
      { command: 'import_products_file', path: '/home/owner/Downloads/messy.csv', dryRun: false },
    ]);
  });

  it('previews a file dropped on the dialog', async () => {
    const fake = installFakeBackOffice();
    const dialog = await openImport();
    await fireEvent.dragOver(dialog);
    await fireEvent.drop(dialog, { dataTransfer: { files: [csvFile('dropped.csv')] } });
    await within(dialog).findByTestId('import-preview');
    expect(fake.csvImports[0]).toMatchObject({ command: 'import_products_upload', name: 'dropped.csv', dryRun: true });
  });

  it('shows why the core refuses a file, in the dialog, and stays on the first step', async () => {
    const fake = installFakeBackOffice();
    fake.refuseImport = { code: 'invalid', message: 'orders.csv: this is not a product CSV (no Handle column)' };
    const user = userEvent.setup();
    const dialog = await openImport();
    await user.upload(within(dialog).getByTestId('import-file-input'), csvFile('orders.csv'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Orders.csv: this is not a product CSV (no Handle column).',
    );
    expect(within(dialog).getByTestId('import-file-input')).toBeInTheDocument();
    expect(within(dialog).queryByTestId('import-confirm')).not.toBeInTheDocument();

    // Cancel closes without loading the list again: nothing was imported.
    const lists = fake.commands('list_products').length;
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('import-dialog')).not.toBeInTheDocument();
    expect(fake.commands('list_products')).toHaveLength(lists);
  });
});

describe('product export', () => {
  async function openExport() {
    const user = userEvent.setup();
    window.location.hash = '#/admin/products';
    render(App);
    await screen.findByRole('link', { name: 'Poland Flag' });
    await user.click(screen.getByRole('button', { name: 'Export' }));
    return { user, dialog: screen.getByTestId('export-dialog') };
  }

  it('exports with the chosen options to the path the save dialog returned', async () => {
    const fake = installFakeBackOffice();
    fake.dialogPath = '/home/owner/exports/products.csv';
    const { user, dialog } = await openExport();
    await user.selectOptions(within(dialog).getByLabelText('Products'), 'active');
    await user.click(within(dialog).getByRole('checkbox', { name: 'Legacy header (2023 column names)' }));
    await user.click(within(dialog).getByRole('button', { name: 'Export…' }));

    expect(await screen.findByRole('status')).toHaveTextContent(
      'Exported 3 products (6 variants) to /home/owner/exports/products.csv; 3 images copied beside it.',
    );
    expect(fake.commands('plugin:dialog|save')).toEqual([
      { options: { defaultPath: 'products.csv', filters: [{ name: 'CSV', extensions: ['csv'] }] } },
    ]);
    expect(fake.commands('export_products_file')).toEqual([
      { path: '/home/owner/exports/products.csv', status: 'active', collection: null, legacyHeader: true },
    ]);
    expect(screen.queryByTestId('export-dialog')).not.toBeInTheDocument();
  });

  it('exports nothing when the save dialog is cancelled', async () => {
    const fake = installFakeBackOffice();
    const { user, dialog } = await openExport();
    await user.click(within(dialog).getByRole('button', { name: 'Export…' }));
    await waitFor(() => expect(fake.commands('plugin:dialog|save')).toHaveLength(1));
    await waitFor(() => expect(within(dialog).getByRole('button', { name: 'Export…' })).toBeEnabled());
    expect(fake.commands('export_products_file')).toHaveLength(0);
    expect(screen.getByTestId('export-dialog')).toBeInTheDocument();
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });
});
