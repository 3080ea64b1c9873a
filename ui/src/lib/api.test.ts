import { mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it } from 'vitest';

import { api, ApiError, toApiError } from './api';

describe('bindings', () => {
  it('sends typed arguments to the named command', async () => {
    const calls: unknown[] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return { lines: [], item_count: 0, subtotal: 0, currency: 'USD' };
    });
    await expect(api.addToCart('UA-SNK-3X5-NYL', 2)).resolves.toMatchObject({ item_count: 0 });
    expect(calls).toEqual([['add_to_cart', { sku: 'UA-SNK-3X5-NYL', quantity: 2 }]]);
  });

  it('turns a command error into an ApiError with its code', async () => {
    mockIPC(() => {
      throw { code: 'unknown_sku', message: 'unknown SKU "X"' };
    });
    const error = await api.cart().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'unknown_sku', message: 'unknown SKU "X"' });
  });

  it('treats anything else as an internal error', () => {
    expect(toApiError('window closed')).toMatchObject({ code: 'internal', message: 'window closed' });
  });
});
