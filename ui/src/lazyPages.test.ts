import { render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';

import App from './App.svelte';
import { installFakeShop } from './test/fakeShop';

// The back office is loaded with import() when first opened. A script that fails to load (an
// update replaced the files under a running window) must say so, not leave a blank window.
vi.mock('./admin/AdminApp.svelte', () => {
  throw new Error('Failed to fetch dynamically imported module: AdminApp.js');
});

describe('pages loaded on demand', () => {
  it('says a page could not be opened, with the reason and a way to reload', async () => {
    installFakeShop();
    window.location.hash = '#/admin/dashboard';
    render(App);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('This page could not be opened');
    // Vitest wraps the factory's error in its own message; the reason is shown, whatever it is.
    expect(alert.querySelector('p')?.textContent).toMatch(/error/i);
    expect(screen.getByRole('button', { name: 'Reload' })).toBeInTheDocument();
  });

  it('loads the storefront catalogue without the back office', async () => {
    installFakeShop();
    render(App);
    expect(await screen.findByRole('list', { name: 'Products' })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
