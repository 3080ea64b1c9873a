import { mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it } from 'vitest';

import { bandLabel, CatalogueStore, emptyFilters, PRICE_BANDS, toQuery } from './catalogue.svelte';

describe('catalogue query', () => {
  it('maps filters to a core query in minor units, a small first page and bigger ones after', () => {
    const filters = { search: '  snak isl ', collection: 'ukraine', price: '20-40', inStock: true };
    expect(toQuery(filters, 'USD', 'cursor')).toEqual({
      status: 'active',
      in_stock: true,
      limit: 96,
      search: 'snak isl',
      collection: 'ukraine',
      min_price: 2000,
      max_price: 3999,
      after: 'cursor',
    });
    expect(toQuery(emptyFilters(), 'USD')).toEqual({ status: 'active', in_stock: false, limit: 24 });
  });

  it('labels price bands in the shop currency', () => {
    expect(PRICE_BANDS.map((b) => bandLabel(b, 'USD', 'en-US'))).toEqual([
      'Any price',
      'Under $20',
      '$20 – $40',
      '$40 – $80',
      '$80 and up',
    ]);
  });
});

describe('catalogue store', () => {
  it('pages with the cursor and ignores answers to superseded queries', async () => {
    const pending: ((page: unknown) => void)[] = [];
    mockIPC((_cmd, args) => {
      const query = (args as { query: { search?: string; after?: string } }).query;
      if (query.after === 'next') {
        return { items: [{ id: 3, title: 'C' }], next_cursor: null, total: null };
      }
      return new Promise((resolve) => pending.push(resolve));
    });
    const store = new CatalogueStore();

    store.filters.search = 'old';
    const first = store.reload();
    store.filters.search = 'new';
    const second = store.reload();
    pending[1]!({ items: [{ id: 1, title: 'A' }], next_cursor: 'next', total: 2 });
    await second;
    pending[0]!({ items: [{ id: 9, title: 'stale' }], next_cursor: null, total: 1 });
    await first;
    expect(store.items.map((p) => p.id)).toEqual([1]);
    expect(store.total).toBe(2);

    await store.loadMore();
    expect(store.items.map((p) => p.id)).toEqual([1, 3]);
    expect(store.nextCursor).toBeNull();
    // Later pages are not counted again: the first page's total stays.
    expect(store.total).toBe(2);
  });
});
