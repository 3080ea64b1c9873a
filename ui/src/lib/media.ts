// Product images come from the shell's `media` protocol, never through IPC.

/** Widths the shell makes thumbnails at. */
export type ThumbWidth = 160 | 480 | 1200;

// WebKitGTK (Linux) and WKWebView (macOS) load custom schemes as `media://localhost/...`;
// WebView2 (Windows) only as `http://media.localhost/...`.
const base =
  typeof navigator !== 'undefined' && /Windows/.test(navigator.userAgent)
    ? 'http://media.localhost'
    : 'media://localhost';

export function thumbUrl(hash: string, width: ThumbWidth): string {
  return `${base}/thumb/${width}/${hash}`;
}
