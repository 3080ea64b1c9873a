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

  it('reads the filters of a back office page', () => {
    const href = adminHref('orders', undefined, { show: 'to-fulfil' });
    expect(href).toBe('#/admin/orders?show=to-fulfil');
    expect(parseHash(href)).toEqual({ name: 'admin', section: 'orders', query: { show: 'to-fulfil' } });
    expect(parseHash(adminHref('customers', 'a?b@example.com', { q: 'x y' }))).toEqual({
      name: 'admin',
      section: 'customers',
      id: 'a?b@example.com',
      query: { q: 'x y' },
    });
    expect(adminHref('orders', undefined, {})).toBe('#/admin/orders');
  });

  it('falls back to the catalogue for anything it does not know', () => {
    expect(parseHash('#/admin/nowhere')).toEqual({ name: 'catalogue' });
    expect(parseHash('#/product/')).toEqual({ name: 'catalogue' });
    expect(parseHash('#/product/a/b')).toEqual({ name: 'catalogue' });
    expect(parseHash('#/checkout/x')).toEqual({ name: 'catalogue' });
  });
});

describe('router.guardLeaving', () => {
  it('keeps the page while the guard says no, and lets go once it is removed', async () => {
    const { router } = await import('./router.svelte');
    router.go(adminHref('products', 'poland-flag'));
    const asked: string[] = [];
    const remove = router.guardLeaving((href) => {
      asked.push(href);
      return false;
    });
    router.go(adminHref('inventory'));
    expect(router.route).toEqual({ name: 'admin', section: 'products', id: 'poland-flag' });
    window.location.hash = adminHref('orders');
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(router.route).toEqual({ name: 'admin', section: 'products', id: 'poland-flag' });
    expect(window.location.hash).toBe(adminHref('products', 'poland-flag'));
    expect(asked).toEqual([adminHref('inventory'), adminHref('orders')]);
    remove();
    router.go(adminHref('inventory'));
    expect(router.route).toEqual({ name: 'admin', section: 'inventory' });
  });
});
