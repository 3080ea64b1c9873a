// The words the Import and Export dialogs show, from what the core sends: an import's report
// and progress events, an export's summary. Every count is the core's; nothing is worked out
// here but how to say it.
import type {
  ExportSummary,
  Fetched,
  ImportProgress,
  ImportReport,
  Problem,
  ProductOutcome,
} from '../../lib/adminApi';
import { plural } from '../../lib/text';

/** What the progress bar says: "Importing products… 12 of 40", "Fetching images… 3 of 10". */
export function progressLabel(progress: ImportProgress | null, dryRun: boolean): string {
  if (!progress) return dryRun ? 'Reading the file…' : 'Starting the import…';
  const { done, total } = progress;
  if (progress.phase === 'images') return `Fetching images… ${done} of ${total}`;
  return `${dryRun ? 'Checking' : 'Importing'} products… ${done} of ${total}`;
}

/** The bar's value and maximum; null while nothing is counted yet (the bar then just moves). */
export function progressBar(progress: ImportProgress | null): { value: number; max: number } | null {
  if (!progress || progress.total === 0) return null;
  return { value: Math.min(progress.done, progress.total), max: progress.total };
}

/** The products the import writes: the file's new and changed ones. */
export function toImport(report: ImportReport): number {
  return report.created + report.updated;
}

/** The products the preview lists: everything but the unchanged. */
export function listed(report: ImportReport): ProductOutcome[] {
  return report.products.filter((p) => p.action !== 'unchanged');
}

export const actionLabels: Record<ProductOutcome['action'], string> = {
  create: 'Create',
  update: 'Update',
  unchanged: 'Unchanged',
  refused: 'Refused',
};

/** "Row 5 · Variant Price — -4.00 is negative" (no column for a problem with a whole row). */
export function problemLine(problem: Problem): string {
  const column = problem.column ? ` · ${problem.column}` : '';
  return `Row ${problem.row}${column} — ${problem.message}`;
}

/** "1 error, 3 warnings", the heading of the problems list. */
export function problemCounts(problems: Problem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const parts = [];
  if (errors > 0) parts.push(plural(errors, 'error', 'errors'));
  if (warnings > 0) parts.push(plural(warnings, 'warning', 'warnings'));
  return parts.join(', ');
}

/** The preview's second line: variants, stock and images. */
export function previewDetails(report: ImportReport): string[] {
  return [
    `${plural(report.variants_created, 'new variant', 'new variants')}`,
    `${plural(report.variants_updated, 'variant', 'variants')} updated`,
    `${plural(report.stock_changes.length, 'stock change', 'stock changes')}`,
    `${plural(report.images_added, 'image', 'images')} to fetch`,
  ];
}

/** "Imported: 2 created, 0 updated, 0 unchanged, 1 skipped; 3 images added". */
export function doneSummary(report: ImportReport): string {
  const images = `${plural(report.images_added, 'image', 'images')} added`;
  const failed = report.images_failed.length > 0 ? `, ${report.images_failed.length} not fetched` : '';
  return (
    `Imported: ${report.created} created, ${report.updated} updated, ` +
    `${report.unchanged} unchanged, ${report.refused} skipped; ${images}${failed}`
  );
}

/** What a retry of the pending images brought. */
export function retrySummary(fetched: Fetched): string {
  const added = `${plural(fetched.added, 'image', 'images')} added`;
  if (fetched.failed.length === 0) return `Retried: ${added}; every image is in.`;
  return `Retried: ${added}; ${fetched.failed.length} still not fetched.`;
}

/** "Exported 46 products (185 variants) to /path; 45 images copied beside it." */
export function exportMessage(summary: ExportSummary): string {
  const what = `${plural(summary.products, 'product', 'products')} (${plural(summary.variants, 'variant', 'variants')})`;
  const images =
    summary.images_copied > 0
      ? `; ${plural(summary.images_copied, 'image', 'images')} copied beside it`
      : '';
  return `Exported ${what} to ${summary.file}${images}.`;
}

/** The file's name, from a path the native dialog gave. */
export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}
