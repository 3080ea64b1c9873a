import '@testing-library/jest-dom/vitest';
import { clearMocks } from '@tauri-apps/api/mocks';
import { cleanup, configure } from '@testing-library/svelte';
import { afterEach, beforeAll } from 'vitest';

// Pages past the catalogue are loaded with import() when first opened; under Vitest that first
// import compiles the whole back office on demand, which can take longer than the default 1 s.
configure({ asyncUtilTimeout: 5000 });

beforeAll(() => {
  // jsdom lacks these; the storefront uses them only when present.
  Object.defineProperty(window, 'scrollTo', { value: () => {}, writable: true });
});

afterEach(() => {
  cleanup();
  clearMocks();
  window.location.hash = '';
});
