// Two pages, addressed by the URL hash so that the back shortcut and a reload keep the place:
// `#/` is the catalogue, `#/product/<handle>` a product page.

export type Route = { name: 'catalogue' } | { name: 'product'; handle: string };

export function parseHash(hash: string): Route {
  const match = /^#\/product\/([^/]+)$/.exec(hash);
  if (match?.[1]) return { name: 'product', handle: decodeURIComponent(match[1]) };
  return { name: 'catalogue' };
}

export function productHref(handle: string): string {
  return `#/product/${encodeURIComponent(handle)}`;
}

export const catalogueHref = '#/';

class Router {
  route = $state<Route>(parseHash(window.location.hash));

  constructor() {
    window.addEventListener('hashchange', () => this.#set(parseHash(window.location.hash)));
  }

  go(href: string) {
    window.location.hash = href;
    this.#set(parseHash(href));
  }

  // The same page again is no change: it must not reload what is shown.
  #set(route: Route) {
    if (JSON.stringify(route) !== JSON.stringify(this.route)) this.route = route;
  }
}

export const router = new Router();
