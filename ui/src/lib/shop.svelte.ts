import { getContext, setContext } from 'svelte';

import type { ShopInfo } from './api';

/** The shop's name and currency, once loaded. */
export class ShopStore {
  info = $state<ShopInfo>({ name: 'Flagshop', currency: 'USD' });
}

const key = Symbol('shop');

export function setShopContext(store: ShopStore): ShopStore {
  return setContext(key, store);
}

export function getShopContext(): ShopStore {
  return getContext<ShopStore>(key);
}
