import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { DAMAGE, installFakeBackups, SHOP_DISK_DIR, USB_BACKUP } from '../../test/fakeBackups';
import BackupsSection from './BackupsSection.svelte';
import { backupDate, fileSize, reasonLabel } from './settings';

/** A promise the test resolves when it has seen what happens meanwhile. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

function renderSection() {
  const reload = vi.fn();
  render(BackupsSection, { props: { reload } });
  return { reload, user: userEvent.setup() };
}

async function rows(): Promise<HTMLElement[]> {
  await screen.findByRole('table', { name: 'Backups' });
  return screen.getAllByTestId('backup-row');
}

/** A row as the owner reads it: when, what it holds, why, and its size. */
function cells(row: HTMLElement): string[] {
  const [made, why, size] = within(row).getAllByRole('cell');
  const text = (el: Element | null | undefined) => el?.textContent?.trim() ?? '';
  return [text(made?.querySelector('.when')), text(made?.querySelector('.holds')), text(why), text(size)];
}

/** Opens Restore… on the backup `path` of the list; the dialog, still checking or not. */
async function openRestore(user: ReturnType<typeof userEvent.setup>, path: string): Promise<HTMLElement> {
  await rows();
  const row = document.querySelector<HTMLElement>(`tr[data-path="${path}"]`)!;
  await user.click(within(row).getByTestId('restore-backup'));
  return screen.getByTestId('restore-dialog');
}

describe('backups: where they go', () => {
  it('warns while the backups are on the shop’s disk, and not once they go elsewhere', async () => {
    const fake = installFakeBackups();
    const { user } = renderSection();
    const warning = await screen.findByTestId('backup-disk-warning');
    expect(warning).toHaveTextContent(
      'Backups are on the same disk as the shop: they will not survive a dead or stolen laptop. Choose an external disk or a synced folder (Dropbox, Nextcloud).',
    );
    const folder = screen.getByLabelText('Backup folder');
    expect(folder).toHaveValue(SHOP_DISK_DIR);

    await user.clear(folder);
    await user.type(folder, '/media/olena/FLAGSHOP/backups');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Backup settings saved')).toBeInTheDocument();
    expect(fake.settings.on_shop_disk).toBe(false);
    expect(screen.queryByTestId('backup-disk-warning')).not.toBeInTheDocument();
  });

  it('sends the edited folder and counts, and shows the core refusal next to the folder', async () => {
    const fake = installFakeBackups();
    const { user } = renderSection();
    const folder = await screen.findByLabelText('Backup folder');
    await user.clear(folder);
    await user.type(folder, 'Backups');
    const daily = screen.getByLabelText('Daily');
    expect(daily).toHaveValue(7);
    await user.clear(daily);
    await user.type(daily, '14');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(fake.commands('save_backup_settings')).toEqual([
      { update: { dir: 'Backups', on_shop_disk: true, keep_daily: 14, keep_weekly: 4, keep_monthly: 12 } },
    ]);
    expect(await screen.findByText('"Backups" is not a full folder path.')).toBeInTheDocument();
    expect(folder).toHaveAttribute('aria-invalid', 'true');
    expect(folder).toHaveAccessibleDescription('"Backups" is not a full folder path.');
    expect(daily).not.toHaveAttribute('aria-invalid');
    expect(screen.queryByText('Backup settings saved')).not.toBeInTheDocument();
  });

  it('shows a refused count next to its own field', async () => {
    installFakeBackups();
    const { user } = renderSection();
    const monthly = await screen.findByLabelText('Monthly');
    await user.clear(monthly);
    await user.type(monthly, '0');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Keep from 1 to 1000 backups, not 0.')).toBeInTheDocument();
    expect(monthly).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Backup folder')).not.toHaveAttribute('aria-invalid');
  });

  it('takes the folder chosen in the native dialog, and lists the backups there once saved', async () => {
    const fake = installFakeBackups();
    const { user } = renderSection();
    const folder = await screen.findByLabelText('Backup folder');
    expect(await rows()).toHaveLength(3);

    await user.click(screen.getByRole('button', { name: 'Change folder…' }));
    await waitFor(() => expect(fake.commands('plugin:dialog|open')).toHaveLength(1));
    expect(fake.commands('plugin:dialog|open')[0]).toMatchObject({
      options: { directory: true, multiple: false, defaultPath: SHOP_DISK_DIR },
    });
    expect(folder).toHaveValue(SHOP_DISK_DIR);

    fake.dialogPath = '/home/olena/Nextcloud/Flagshop';
    await user.click(screen.getByRole('button', { name: 'Change folder…' }));
    await waitFor(() => expect(folder).toHaveValue('/home/olena/Nextcloud/Flagshop'));
    expect(fake.commands('save_backup_settings')).toEqual([]);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('No backups in this folder yet.')).toBeInTheDocument();
    expect(fake.commands('save_backup_settings')[0]).toMatchObject({
      update: { dir: '/home/olena/Nextcloud/Flagshop' },
    });
    expect(fake.commands('list_backups')).toHaveLength(2);
  });
});

describe('backups: the list', () => {
  it('shows each backup newest first with when, why, what it holds and its size', async () => {
    const fake = installFakeBackups();
    renderSection();
    const list = await rows();
    expect(list.map(cells)).toEqual([
      [backupDate('2026-12-03T09:00:04.512Z'), '46 products · 12 orders · 118 images', 'Daily', '1.2 MB'],
      [backupDate('2026-12-02T14:31:27.090Z'), '44 products · 11 orders · 112 images', 'Before import', '1.1 MB'],
      [backupDate('2026-11-25T09:01:40.002Z'), '40 products · 6 orders · 96 images', 'Manual', '845 KB'],
    ]);
    expect(list[0]).toHaveAttribute('data-path', fake.backups[0]!.path);
    expect(screen.getByText(/3 backups, the newest from/)).toBeInTheDocument();
  });

  it('Back up now makes a backup, puts it at the top and says what it holds', async () => {
    const fake = installFakeBackups();
    const made = gate();
    fake.hold.create_backup = made.wait;
    const { user } = renderSection();
    expect(await rows()).toHaveLength(3);

    await user.click(screen.getByTestId('backup-now'));
    const button = screen.getByTestId('backup-now');
    expect(button).toBeDisabled();
    expect(button).toHaveTextContent('Backing up…');
    expect(fake.commands('create_backup')).toEqual([{}]);

    made.open();
    expect(await screen.findByText('Backed up: 46 products, 12 orders, 1.2 MB')).toBeInTheDocument();
    const list = screen.getAllByTestId('backup-row');
    expect(list).toHaveLength(4);
    expect(cells(list[0]!)).toEqual([
      backupDate('2026-12-03T16:30:00.000Z'),
      '46 products · 12 orders · 118 images',
      'Manual',
      '1.2 MB',
    ]);
    expect(button).toBeEnabled();
    expect(button).toHaveTextContent('Back up now');
  });

  it('says when a backup could not be made, and keeps the list', async () => {
    const fake = installFakeBackups();
    fake.refuse.create_backup = {
      code: 'internal',
      message: '/media/olena/FLAGSHOP: No space left on device (os error 28)',
      field: null,
      variant: null,
    };
    const { user } = renderSection();
    expect(await rows()).toHaveLength(3);
    await user.click(screen.getByTestId('backup-now'));
    expect(await screen.findByRole('alert')).toHaveTextContent('/media/olena/FLAGSHOP: No space left on device (os error 28).');
    expect(screen.getAllByTestId('backup-row')).toHaveLength(3);
  });
});

describe('backups: restoring', () => {
  it('checks the backup first, shows what it brings back, and restores it once confirmed', async () => {
    const fake = installFakeBackups();
    const checked = gate();
    fake.hold.verify_backup = checked.wait;
    const { user, reload } = renderSection();
    const path = fake.backups[1]!.path;
    const dialog = await openRestore(user, path);

    expect(within(dialog).getByText('Checking the backup…')).toBeInTheDocument();
    const confirm = within(dialog).getByTestId('restore-confirm');
    expect(confirm).toBeDisabled();
    expect(fake.commands('verify_backup')).toEqual([{ path }]);

    checked.open();
    await waitFor(() => expect(confirm).toBeEnabled());
    expect(dialog).toHaveTextContent(`Made ${backupDate('2026-12-02T14:31:27.090Z')} · Before import · Flagshop 0.1.0`);
    const counts = within(dialog).getByTestId('restore-counts');
    const tile = (label: string) => within(counts).getByText(label).closest('div');
    expect(tile('products')).toHaveTextContent('44');
    expect(tile('orders')).toHaveTextContent('11');
    expect(tile('ledger rows')).toHaveTextContent('310');
    expect(tile('images')).toHaveTextContent('112');
    expect(dialog).toHaveTextContent('The shop as it is now is backed up first, so you can undo this.');
    expect(confirm).toHaveTextContent('Restore this backup');
    expect(fake.commands('restore_backup')).toEqual([]);

    await user.click(confirm);
    expect(fake.commands('restore_backup')).toEqual([{ path }]);
    const done = await within(dialog).findByTestId('restore-done');
    expect(done).toHaveTextContent(
      `Restored the backup of ${backupDate('2026-12-02T14:31:27.090Z')}. The shop as it was is kept as a backup (Before restore).`,
    );
    // The list behind is read again: the shop as it was is its newest backup.
    await waitFor(() => expect(cells(screen.getAllByTestId('backup-row')[0]!)[2]).toBe('Before restore'));
    expect(screen.getAllByTestId('backup-row')).toHaveLength(4);

    // The whole window reloads, since every page's data changed, once the owner has read it.
    expect(reload).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('button', { name: 'Done' }));
    expect(reload).toHaveBeenCalledOnce();
  });

  it('shows why a damaged backup cannot be restored, and offers no way to restore it', async () => {
    const fake = installFakeBackups();
    const { user, reload } = renderSection();
    const dialog = await openRestore(user, fake.backups[2]!.path);

    const problems = await within(dialog).findByTestId('restore-problems');
    expect(problems).toHaveTextContent(`This backup cannot be restored: ${DAMAGE}.`);
    expect(problems).toHaveRole('alert');
    const confirm = within(dialog).getByTestId('restore-confirm');
    expect(confirm).toBeDisabled();
    expect(within(dialog).queryByText(/so you can undo this/)).not.toBeInTheDocument();
    await user.click(confirm);
    expect(fake.commands('restore_backup')).toEqual([]);

    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('restore-dialog')).not.toBeInTheDocument();
    expect(reload).not.toHaveBeenCalled();
  });

  it('lists each problem when a backup has several', async () => {
    const fake = installFakeBackups();
    const path = fake.backups[0]!.path;
    fake.damaged[path] = [DAMAGE, 'media/originals/3f/3f9a is missing from the archive'];
    const { user } = renderSection();
    const dialog = await openRestore(user, path);
    const problems = await within(dialog).findByTestId('restore-problems');
    expect(within(problems).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      DAMAGE,
      'media/originals/3f/3f9a is missing from the archive',
    ]);
    expect(within(dialog).getByTestId('restore-confirm')).toBeDisabled();
  });

  it('cancelling, with the button or Escape, restores nothing', async () => {
    const fake = installFakeBackups();
    const { user, reload } = renderSection();
    let dialog = await openRestore(user, fake.backups[0]!.path);
    await waitFor(() => expect(within(dialog).getByTestId('restore-confirm')).toBeEnabled());
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('restore-dialog')).not.toBeInTheDocument();

    dialog = await openRestore(user, fake.backups[1]!.path);
    await waitFor(() => expect(within(dialog).getByTestId('restore-confirm')).toBeEnabled());
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('restore-dialog')).not.toBeInTheDocument();

    expect(fake.commands('verify_backup')).toHaveLength(2);
    expect(fake.commands('restore_backup')).toEqual([]);
    expect(fake.commands('create_backup')).toEqual([]);
    expect(reload).not.toHaveBeenCalled();
  });

  it('shows the core refusal when the restore itself fails, and lets the owner go back', async () => {
    const fake = installFakeBackups();
    fake.refuse.restore_backup = {
      code: 'busy',
      message: 'the shop is busy: try again in a moment',
      field: null,
      variant: null,
    };
    const { user, reload } = renderSection();
    const dialog = await openRestore(user, fake.backups[0]!.path);
    const confirm = within(dialog).getByTestId('restore-confirm');
    await waitFor(() => expect(confirm).toBeEnabled());
    await user.click(confirm);
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The shop is busy: try again in a moment.');
    expect(within(dialog).queryByTestId('restore-done')).not.toBeInTheDocument();
    expect(confirm).toBeEnabled();
    expect(reload).not.toHaveBeenCalled();
  });

  it('Restore from file restores the file the open dialog returned; a cancelled dialog does nothing', async () => {
    const fake = installFakeBackups();
    const { user } = renderSection();
    await rows();

    await user.click(screen.getByRole('button', { name: 'Restore from file…' }));
    await waitFor(() => expect(fake.commands('plugin:dialog|open')).toHaveLength(1));
    expect(fake.commands('plugin:dialog|open')[0]).toMatchObject({
      options: { filters: [{ name: 'Flagshop backup', extensions: ['flagshop-backup'] }], multiple: false, directory: false },
    });
    expect(screen.queryByTestId('restore-dialog')).not.toBeInTheDocument();
    expect(fake.commands('verify_backup')).toEqual([]);

    fake.dialogPath = USB_BACKUP;
    await user.click(screen.getByRole('button', { name: 'Restore from file…' }));
    const dialog = await screen.findByTestId('restore-dialog');
    expect(within(dialog).getByText('flagshop-20261120-090000-000.flagshop-backup')).toBeInTheDocument();
    const confirm = within(dialog).getByTestId('restore-confirm');
    await waitFor(() => expect(confirm).toBeEnabled());
    expect(fake.commands('verify_backup')).toEqual([{ path: USB_BACKUP }]);
    expect(within(within(dialog).getByTestId('restore-counts')).getByText('products').closest('div')).toHaveTextContent(
      '39',
    );
    await user.click(confirm);
    expect(fake.commands('restore_backup')).toEqual([{ path: USB_BACKUP }]);
    expect(await within(dialog).findByTestId('restore-done')).toHaveTextContent(
      `Restored the backup of ${backupDate('2026-11-20T09:00:00.000Z')}.`,
    );
  });
});

describe('backup wording', () => {
  it('says sizes as a file manager does, and reasons as labels', () => {
    expect([512, 845_310, 1_183_400, 2_400_000_000].map(fileSize)).toEqual(['512 bytes', '845 KB', '1.2 MB', '2.4 GB']);
    expect(['manual', 'daily', 'before restore', 'before import'].map(reasonLabel)).toEqual([
      'Manual',
      'Daily',
      'Before restore',
      'Before import',
    ]);
  });
});
