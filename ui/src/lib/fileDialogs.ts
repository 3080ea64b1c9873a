// The native open and save dialogs (GTK's file chooser on Linux) for the back office's CSV
// files. Each resolves to the path the owner chose, or null when they cancelled.
import { open, save } from '@tauri-apps/plugin-dialog';

const CSV = [{ name: 'CSV', extensions: ['csv'] }];

/** Asks for one CSV file to read. */
export async function chooseCsvFile(): Promise<string | null> {
  return open({ filters: CSV, multiple: false, directory: false });
}

/** Asks where to write a CSV file, suggesting `defaultName`. */
export async function chooseCsvDestination(defaultName: string): Promise<string | null> {
  return save({ defaultPath: defaultName, filters: CSV });
}
