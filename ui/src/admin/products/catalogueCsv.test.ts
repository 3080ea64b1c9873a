import { describe, expect, it } from 'vitest';

import { messyReport } from '../../test/fakeBackOffice';
import {
  doneSummary,
  exportMessage,
  fileName,
  listed,
  problemCounts,
  problemLine,
  progressBar,
  progressLabel,
  retrySummary,
  toImport,
} from './catalogueCsv';

describe('import progress', () => {
  it('says which phase and how far, checking in a dry run and importing otherwise', () => {
    expect(progressLabel({ phase: 'products', done: 12, total: 40 }, false)).toBe('Importing products… 12 of 40');
    expect(progressLabel({ phase: 'products', done: 12, total: 40 }, true)).toBe('Checking products… 12 of 40');
    expect(progressLabel({ phase: 'images', done: 3, total: 10 }, false)).toBe('Fetching images… 3 of 10');
    expect(progressLabel(null, true)).toBe('Reading the file…');
    expect(progressLabel(null, false)).toBe('Starting the import…');
  });

  it('fills the bar by the count, and leaves it without a value before anything is counted', () => {
    expect(progressBar({ phase: 'products', done: 12, total: 40 })).toEqual({ value: 12, max: 40 });
    expect(progressBar({ phase: 'images', done: 0, total: 0 })).toBeNull();
    expect(progressBar(null)).toBeNull();
  });
});

describe('import report in words', () => {
  it('counts what the import writes and lists all but the unchanged', () => {
    const report = messyReport('messy.csv', true, false);
    expect(toImport(report)).toBe(2);
    expect(listed(report).map((p) => p.action)).toEqual(['create', 'update', 'refused']);
  });

  it('names the row and column of a problem, and counts errors apart from warnings', () => {
    expect(problemLine({ row: 5, column: 'Variant Price', message: '-4.00 is negative', severity: 'error' })).toBe(
      'Row 5 · Variant Price — -4.00 is negative',
    );
    expect(problemLine({ row: 6, column: null, message: 'a row with no handle', severity: 'error' })).toBe(
      'Row 6 — a row with no handle',
    );
    const problems = messyReport('messy.csv', true, false).problems;
    expect(problemCounts(problems)).toBe('1 error, 1 warning');
    expect(problemCounts(problems.filter((p) => p.severity === 'warning'))).toBe('1 warning');
  });

  it('sums up a finished import, its images and a retry', () => {
    expect(doneSummary(messyReport('messy.csv', false, false))).toBe(
      'Imported: 1 created, 1 updated, 1 unchanged, 1 skipped; 2 images added, 1 not fetched',
    );
    expect(retrySummary({ added: 1, failed: [] })).toBe('Retried: 1 image added; every image is in.');
    expect(retrySummary({ added: 0, failed: [{ handle: 'a', source: 'b', message: 'c' }] })).toBe(
      'Retried: 0 images added; 1 still not fetched.',
    );
  });

  it('says what an export wrote, and where', () => {
    expect(
      exportMessage({ file: '/home/owner/products.csv', products: 46, variants: 185, rows: 190, images_copied: 45 }),
    ).toBe('Exported 46 products (185 variants) to /home/owner/products.csv; 45 images copied beside it.');
    expect(exportMessage({ file: '/tmp/p.csv', products: 1, variants: 1, rows: 1, images_copied: 0 })).toBe(
      'Exported 1 product (1 variant) to /tmp/p.csv.',
    );
    expect(fileName('/home/owner/Downloads/messy.csv')).toBe('messy.csv');
    expect(fileName('C:\\Users\\owner\\messy.csv')).toBe('messy.csv');
  });
});
