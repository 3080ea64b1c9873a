// The cart as the UI sees it: the core's cart plus the drawer's open state and the last error.
// Every change goes to the core, which checks stock and returns the new cart.
import { getContext, setContext } from 'svelte';

import { api, toApiError, type Cart } from '../lib/api';

export class CartStore {
  cart = $state<Cart | null>(null);
  isOpen = $state(false);
  /** The last refusal or failure, shown until the next change. */
  error = $state<string | null>(null);
  /** SKUs with a change in flight. */
  pending = $state<string[]>([]);

  get itemCount(): number {
    return this.cart?.item_count ?? 0;
  }

  open() {
    this.isOpen = true;
  }

  close() {
    this.isOpen = false;
  }

  async load(): Promise<void> {
    try {
      this.cart = await api.cart();
      this.error = null;
    } catch (e) {
      this.error = toApiError(e).message;
    }
  }

  /** Adds to the cart; false (with `error` set) when the core refused. */
  add(sku: string, quantity: number): Promise<boolean> {
    return this.change(sku, () => api.addToCart(sku, quantity));
  }

  setQuantity(sku: string, quantity: number): Promise<boolean> {
    return this.change(sku, () => api.setCartQuantity(sku, quantity));
  }

  remove(sku: string): Promise<boolean> {
    return this.change(sku, () => api.removeFromCart(sku));
  }

  private async change(sku: string, call: () => Promise<Cart>): Promise<boolean> {
    this.pending = [...this.pending, sku];
    try {
      this.cart = await call();
      this.error = null;
      return true;
    } catch (e) {
      this.error = toApiError(e).message;
      return false;
    } finally {
      this.pending = this.pending.filter((s) => s !== sku);
    }
  }
}

const key = Symbol('cart');

export function setCartContext(store: CartStore): CartStore {
  return setContext(key, store);
}

export function getCartContext(): CartStore {
  return getContext<CartStore>(key);
}
