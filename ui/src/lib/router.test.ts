import { describe, expect, it } from 'vitest';

import { adminHref, orderHref, parseHash, productHref } from './router.svelte';

describe('parseHash', () => {
  it('reads the storefront pages', () => {
    expect(parseHash('')).toEqual({ name: 'catalogue' });
    expect(parseHash('#/')).toEqual({ name: 'catalogue' });
    expect(parseHash(productHref('snake island'))).toEqual({
      name: 'product',
      handle: 'snake island',
    });
    expect(parseHash('#/checkout')).toEqual({ name: 'checkout' });
    expect(parseHash(orderHref('#1001'))).toEqual({ name: 'order', number: '#1001' });
  });

  it('reads the back office sections, with or without an id', () => {
    expect(parseHash('#/admin')).toEqual({ name: 'admin', section: 'dashboard' });
    expect(parseHash(adminHref('lab'))).toEqual({ name: 'admin', section: 'lab' });
    expect(parseHash(adminHref('orders', 'FS-1001'))).toEqual({
      name: 'admin',
      section: 'orders',
      id: 'FS-1001',
    });
  });

  it('falls back to the catalogue for anything it does not know', () => {
    expect(parseHash('#/admin/nowhere')).toEqual({ name: 'catalogue' });
    expect(parseHash('#/product/')).toEqual({ name: 'catalogue' });
    expect(parseHash('#/product/a/b')).toEqual({ name: 'catalogue' });
    expect(parseHash('#/checkout/x')).toEqual({ name: 'catalogue' });
  });
});
