// The native open and save dialogs (GTK's file chooser on Linux) for the back office's CSV
// files, backups and the backup folder. Each resolves to the path the owner chose, or null
// when they cancelled.
import { open, save } from '@tauri-apps/plugin-dialog';

const CSV = [{ name: 'CSV', extensions: ['csv'] }];
const BACKUP = [{ name: 'Flagshop backup', extensions: ['flagshop-backup'] }];

/** Asks for one CSV file to read. */
export async function chooseCsvFile(): Promise<string | null> {
  return open({ filters: CSV, multiple: false, directory: false });
}

/** Asks where to write a CSV file, suggesting `defaultName`. */
export async function chooseCsvDestination(defaultName: string): Promise<string | null> {
  return save({ defaultPath: defaultName, filters: CSV });
}

/** Asks for one `.flagshop-backup` file, such as a backup on an external disk. */
export async function openBackup(): Promise<string | null> {
  return open({ filters: BACKUP, multiple: false, directory: false });
}

/** Asks for a folder, starting in `current` when there is one. */
export async function chooseFolder(current?: string): Promise<string | null> {
  return open({ directory: true, multiple: false, defaultPath: current || undefined });
}
