// The pages, addressed by the URL hash so that the back shortcut and a reload keep the place.
// The storefront: `#/` the catalogue, `#/product/<handle>`, `#/checkout`, `#/order/<number>`
// (the confirmation). The back office: `#/admin/<section>` and `#/admin/<section>/<id>`, either
// with `?key=value` filters (`#/admin/orders?show=to-fulfil`).

export const adminSections = [
  'dashboard',
  'orders',
  'products',
  'inventory',
  'customers',
  'lab',
  'settings',
] as const;

export type AdminSection = (typeof adminSections)[number];

export type Route =
  | { name: 'catalogue' }
  | { name: 'product'; handle: string }
  | { name: 'checkout' }
  | { name: 'order'; number: string }
  | { name: 'admin'; section: AdminSection; id?: string; query?: Record<string, string> };

function isAdminSection(value: string): value is AdminSection {
  return (adminSections as readonly string[]).includes(value);
}

export function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page, arg, id, ...rest] = path.split('/');
  const decoded = arg === undefined ? undefined : decodeURIComponent(arg);
  if (rest.length > 0) return { name: 'catalogue' };
  if (page === 'product' && decoded && id === undefined) return { name: 'product', handle: decoded };
  if (page === 'checkout' && arg === undefined) return { name: 'checkout' };
  if (page === 'order' && decoded && id === undefined) return { name: 'order', number: decoded };
  if (page === 'admin') {
    if (decoded === undefined) return { name: 'admin', section: 'dashboard' };
    if (isAdminSection(decoded)) {
      const route: Route = { name: 'admin', section: decoded };
      if (id) route.id = decodeURIComponent(id);
      if (search) route.query = Object.fromEntries(new URLSearchParams(search));
      return route;
    }
  }
  return { name: 'catalogue' };
}

export function productHref(handle: string): string {
  return `#/product/${encodeURIComponent(handle)}`;
}

export function orderHref(number: string): string {
  return `#/order/${encodeURIComponent(number)}`;
}

export function adminHref(
  section: AdminSection,
  id?: string,
  query?: Record<string, string>,
): string {
  const path = id === undefined ? `#/admin/${section}` : `#/admin/${section}/${encodeURIComponent(id)}`;
  const search = query ? new URLSearchParams(query).toString() : '';
  return search ? `${path}?${search}` : path;
}

export const catalogueHref = '#/';
export const checkoutHref = '#/checkout';

/** Asked before the page changes to `href`; `false` keeps the current page. */
export type LeaveGuard = (href: string) => boolean;

class Router {
  route = $state<Route>(parseHash(window.location.hash));
  #guard: LeaveGuard | null = null;
  #href = window.location.hash;

  constructor() {
    window.addEventListener('hashchange', () => {
      const href = window.location.hash;
      if (!this.#mayLeave(href)) {
        // Put the address back without another hashchange: the page stays as it is.
        history.replaceState(history.state, '', this.#href || '#/');
        return;
      }
      this.#href = href;
      this.#set(parseHash(href));
    });
  }

  go(href: string) {
    if (!this.#mayLeave(href)) return;
    this.#href = href;
    window.location.hash = href;
    this.#set(parseHash(href));
  }

  /**
   * Asks `guard` before any change of page (a page with unsaved changes). Returns the function
   * that removes it.
   */
  guardLeaving(guard: LeaveGuard): () => void {
    this.#guard = guard;
    return () => {
      if (this.#guard === guard) this.#guard = null;
    };
  }

  #mayLeave(href: string): boolean {
    const same = JSON.stringify(parseHash(href)) === JSON.stringify(this.route);
    return same || this.#guard === null || this.#guard(href);
  }

  // The same page again is no change: it must not reload what is shown.
  #set(route: Route) {
    if (JSON.stringify(route) !== JSON.stringify(this.route)) this.route = route;
  }
}

export const router = new Router();
