import '@testing-library/jest-dom/vitest';
import { clearMocks } from '@tauri-apps/api/mocks';
import { cleanup } from '@testing-library/svelte';
import { afterEach, beforeAll } from 'vitest';

beforeAll(() => {
  // jsdom lacks these; the storefront uses them only when present.
  Object.defineProperty(window, 'scrollTo', { value: () => {}, writable: true });
});

afterEach(() => {
  cleanup();
  clearMocks();
  window.location.hash = '';
});
