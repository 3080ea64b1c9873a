// The catalogue grid's state: the filters, the products loaded so far and where the next page
// starts. Pages are fetched with the core's keyset cursor as the shopper scrolls.
import { getContext, setContext } from 'svelte';

import { api, toApiError, type ProductQuery, type ProductSummary } from '../lib/api';
import { displayLocale, toMinor } from '../lib/money';

/** The first page: what fills the first screen, fetched before anything else. */
export const PAGE_SIZE = 24;
/** Pages after the first, fetched while scrolling: fewer round trips through a big catalogue. */
export const NEXT_PAGE_SIZE = 96;

export interface PriceBand {
  id: string;
  /** Major units, inclusive. */
  min?: number;
  /** Major units, exclusive. */
  below?: number;
}

export const PRICE_BANDS: PriceBand[] = [
  { id: 'any' },
  { id: 'under-20', below: 20 },
  { id: '20-40', min: 20, below: 40 },
  { id: '40-80', min: 40, below: 80 },
  { id: '80-up', min: 80 },
];

/** "Under $20", "$20 – $40", "$80 and up" in `currency`. */
export function bandLabel(
  band: PriceBand,
  currency: string,
  locale: string = displayLocale(),
): string {
  const format = (major: number) =>
    new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: 0,
      maximumFractionDigits: 0,
    }).format(major);
  if (band.min === undefined && band.below === undefined) return 'Any price';
  if (band.min === undefined) return `Under ${format(band.below ?? 0)}`;
  if (band.below === undefined) return `${format(band.min)} and up`;
  return `${format(band.min)} – ${format(band.below)}`;
}

export interface Filters {
  search: string;
  collection: string | null;
  price: string;
  inStock: boolean;
}

export function emptyFilters(): Filters {
  return { search: '', collection: null, price: 'any', inStock: false };
}

/** The core query for `filters`, priced in `currency`. */
export function toQuery(filters: Filters, currency: string, after?: string): ProductQuery {
  const band = PRICE_BANDS.find((b) => b.id === filters.price);
  const search = filters.search.trim();
  return {
    status: 'active',
    in_stock: filters.inStock,
    limit: after ? NEXT_PAGE_SIZE : PAGE_SIZE,
    ...(search ? { search } : {}),
    ...(filters.collection ? { collection: filters.collection } : {}),
    ...(band?.min !== undefined ? { min_price: toMinor(band.min, currency) } : {}),
    ...(band?.below !== undefined ? { max_price: toMinor(band.below, currency) - 1 } : {}),
    ...(after ? { after } : {}),
  };
}

export type Status = 'loading' | 'ready' | 'error';

export class CatalogueStore {
  filters = $state<Filters>(emptyFilters());
  // Replaced whole, never changed in place: no deep proxies over thousands of products.
  items = $state.raw<ProductSummary[]>([]);
  nextCursor = $state<string | null>(null);
  /** How many products match the filters in all; null until the first page came. */
  total = $state<number | null>(null);
  status = $state<Status>('loading');
  loadingMore = $state(false);
  error = $state<string | null>(null);
  /** Why the last next page failed; the grid then waits for the shopper to try again. */
  moreError = $state<string | null>(null);
  currency = 'USD';
  /** Window scroll position to come back to from a product page. */
  scrollY = 0;
  // Answers to superseded queries are dropped: only the latest reload may fill the grid.
  #generation = 0;

  get filtered(): boolean {
    const f = this.filters;
    return f.search.trim() !== '' || f.collection !== null || f.price !== 'any' || f.inStock;
  }

  async reload(): Promise<void> {
    const generation = ++this.#generation;
    this.status = 'loading';
    this.loadingMore = false;
    this.moreError = null;
    try {
      const page = await api.listProducts(toQuery(this.filters, this.currency));
      if (generation !== this.#generation) return;
      this.items = page.items;
      this.nextCursor = page.next_cursor;
      this.total = page.total;
      this.status = 'ready';
      this.error = null;
    } catch (e) {
      if (generation !== this.#generation) return;
      this.error = toApiError(e).message;
      this.status = 'error';
    }
  }

  async loadMore(): Promise<void> {
    if (this.status !== 'ready' || this.loadingMore || !this.nextCursor) return;
    const generation = this.#generation;
    this.loadingMore = true;
    try {
      const page = await api.listProducts(toQuery(this.filters, this.currency, this.nextCursor));
      if (generation !== this.#generation) return;
      this.items = [...this.items, ...page.items];
      this.nextCursor = page.next_cursor;
      this.moreError = null;
    } catch (e) {
      if (generation !== this.#generation) return;
      this.moreError = toApiError(e).message;
    } finally {
      if (generation === this.#generation) this.loadingMore = false;
    }
  }

  reset(): Promise<void> {
    this.filters = emptyFilters();
    return this.reload();
  }
}

const key = Symbol('catalogue');

export function setCatalogueContext(store: CatalogueStore): CatalogueStore {
  return setContext(key, store);
}

export function getCatalogueContext(): CatalogueStore {
  return getContext<CatalogueStore>(key);
}
