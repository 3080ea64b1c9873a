// Settings → Backups behind mockIPC: a backup folder on the shop's disk with three backups (the
// oldest one damaged), the core's field errors for the folder and the counts, verification and
// restore as the core does them (a restore backs the shop up first), and the native open dialog
// answering `dialogPath`.
import { mockIPC } from '@tauri-apps/api/mocks';

import type { CommandError } from '../lib/bindings/CommandError';
import type {
  BackupCounts,
  BackupInfo,
  BackupSettings,
  Manifest,
  Restored,
  Verification,
} from '../lib/settingsApi';

export const DATA_DIR = '/home/olena/.local/share/flagshop';
export const SHOP_DISK_DIR = `${DATA_DIR}/backups`;
export const DAMAGE = 'shop.db is damaged (its checksum does not match)';
/** A backup outside the folder, on a USB stick, for Restore from file. */
export const USB_BACKUP = '/media/olena/FLAGSHOP/flagshop-20261120-090000-000.flagshop-backup';

const COMMANDS = [
  'backup_settings',
  'save_backup_settings',
  'list_backups',
  'create_backup',
  'verify_backup',
  'restore_backup',
  'plugin:dialog|open',
] as const;
type BackupCommand = (typeof COMMANDS)[number];

/** The shop as it is now: what a new backup holds. */
const SHOP_NOW: BackupCounts = { products: 46, variants: 97, orders: 12, ledger_rows: 341, images: 118 };

/** `2026-12-03T15:04:05.123Z` → `flagshop-20261203-150405-123.flagshop-backup`, as the core names them. */
function fileName(createdAt: string): string {
  const stamp = createdAt
    .slice(0, 23)
    .replace(/[^0-9T.]/g, '')
    .replace(/[T.]/g, '-');
  return `flagshop-${stamp}.flagshop-backup`;
}

function backup(
  createdAt: string,
  reason: string,
  counts: BackupCounts,
  size: number,
  dir = SHOP_DISK_DIR,
): BackupInfo {
  const manifest: Manifest = {
    format: 1,
    flagshop_version: '0.1.0',
    schema_version: 14,
    created_at: createdAt,
    reason,
    counts,
    files: [{ path: 'shop.db', size: size - 200_000, sha256: 'ab'.repeat(32) }],
  };
  return { path: `${dir}/${fileName(createdAt)}`, size, manifest };
}

export interface FakeBackups {
  settings: BackupSettings;
  /** Newest first, as list_backups answers. */
  backups: BackupInfo[];
  /** Problems verify_backup finds, by path. */
  damaged: Record<string, string[]>;
  /** Backups outside the folder that open and verify (Restore from file). */
  elsewhere: BackupInfo[];
  /** What the native open dialog answers: a path, or null (the owner cancelled). */
  dialogPath: string | null;
  /** When set, the command waits for it before answering (to see a busy state). */
  hold: Partial<Record<BackupCommand, Promise<void>>>;
  /** When set, the command throws this (a command error) instead of answering. */
  refuse: Partial<Record<BackupCommand, CommandError>>;
  /** When the next create_backup, verify_backup… was made: the fake's clock. */
  now: string;
  calls: { cmd: string; args: Record<string, unknown> }[];
  commands(name: string): Record<string, unknown>[];
  /** Whether `cmd` is one of the backup commands (or the open dialog) this fake answers. */
  handles(cmd: string): boolean;
  answer(cmd: string, args: Record<string, unknown>): Promise<unknown>;
}

function invalid(field: string | null, message: string): CommandError {
  return { code: 'invalid', message, field, variant: null };
}

/** The fake's state and answers, for a test to mock alone or beside other commands. */
export function fakeBackups(): FakeBackups {
  const newest = backup('2026-12-03T09:00:04.512Z', 'daily', SHOP_NOW, 1_183_400);
  const beforeImport = backup(
    '2026-12-02T14:31:27.090Z',
    'before import',
    { products: 44, variants: 93, orders: 11, ledger_rows: 310, images: 112 },
    1_094_200,
  );
  const old = backup(
    '2026-11-25T09:01:40.002Z',
    'manual',
    { products: 40, variants: 81, orders: 6, ledger_rows: 240, images: 96 },
    845_310,
  );
  const usb = backup(
    '2026-11-20T09:00:00.000Z',
    'daily',
    { products: 39, variants: 80, orders: 5, ledger_rows: 221, images: 95 },
    831_000,
    '/media/olena/FLAGSHOP',
  );

  const fake: FakeBackups = {
    settings: { dir: SHOP_DISK_DIR, on_shop_disk: true, keep_daily: 7, keep_weekly: 4, keep_monthly: 12 },
    backups: [newest, beforeImport, old],
    damaged: { [old.path]: [DAMAGE] },
    elsewhere: [usb],
    dialogPath: null,
    hold: {},
    refuse: {},
    now: '2026-12-03T16:30:00.000Z',
    calls: [],
    commands: (name) => fake.calls.filter((c) => c.cmd === name).map((c) => c.args),
    handles: (cmd) => (COMMANDS as readonly string[]).includes(cmd),
    answer: async (cmd, args) => {
      fake.calls.push({ cmd, args });
      await fake.hold[cmd as BackupCommand];
      const refusal = fake.refuse[cmd as BackupCommand];
      if (refusal) throw refusal;
      return answer(cmd, args);
    },
  };

  function find(path: string): BackupInfo | undefined {
    return [...fake.backups, ...fake.elsewhere].find((b) => b.path === path);
  }

  function verify(path: string): Verification {
    const found = find(path);
    if (!found) {
      return { path, manifest: null, problems: [`${path}: the manifest cannot be read: No such file or directory (os error 2)`] };
    }
    return { path, manifest: found.manifest, problems: fake.damaged[path] ?? [] };
  }

  /** A new backup of the shop as it is now, at the top of the list. */
  function make(reason: string): BackupInfo {
    const made = backup(fake.now, reason, SHOP_NOW, 1_210_000, fake.settings.dir);
    fake.backups = [made, ...fake.backups];
    return made;
  }

  function answer(cmd: string, args: Record<string, unknown>): unknown {
    switch (cmd) {
      case 'plugin:dialog|open':
        return fake.dialogPath;
      case 'backup_settings':
        return fake.settings;
      case 'save_backup_settings': {
        const update = args.update as BackupSettings;
        const dir = update.dir.trim();
        if (!dir.startsWith('/')) throw invalid('dir', `"${dir}" is not a full folder path`);
        for (const field of ['keep_daily', 'keep_weekly', 'keep_monthly'] as const) {
          const value = update[field];
          if (value < 1 || value > 1000) throw invalid(field, `keep from 1 to 1000 backups, not ${value}`);
        }
        if (dir !== fake.settings.dir) fake.backups = [];
        fake.settings = { ...update, dir, on_shop_disk: dir.startsWith(`${DATA_DIR}/`) };
        return fake.settings;
      }
      case 'list_backups':
        return fake.backups;
      case 'create_backup':
        return make('manual');
      case 'verify_backup':
        return verify(args.path as string);
      case 'restore_backup': {
        const path = args.path as string;
        const verification = verify(path);
        if (verification.problems.length > 0) {
          throw invalid(null, `${path} cannot be restored: ${verification.problems.join('; ')}`);
        }
        const restored = find(path)!;
        const previous = make('before restore');
        return { restored, previous } satisfies Restored;
      }
      default:
        throw { code: 'internal', message: `unexpected command ${cmd}` };
    }
  }

  return fake;
}

/** Mocks the backup commands alone (for the Backups section on its own). */
export function installFakeBackups(): FakeBackups {
  const fake = fakeBackups();
  mockIPC((cmd, payload) => fake.answer(cmd, (payload ?? {}) as Record<string, unknown>));
  return fake;
}
